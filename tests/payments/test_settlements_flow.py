"""End to end through the HTTP API: a real checkout's OrderConfirmed lines credit the catalog's
seller net of commission; the return refunds the lines (not shipping) and takes back exactly
the seller's credit; the statement reconciles."""

from decimal import Decimal

import pytest

from flowmart.payments.models import LedgerEntry, SellerAccount
from flowmart.payments.services import payouts
from flowmart.payments.statements import statement
from tests.flows.conftest import _relaxed_fraud, carrier_update, checkout, ledgers_balance, order, register, shop, staff

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["_relaxed_fraud", "shop", "staff"]  # fixtures used here


def test_checkout_credits_the_seller_and_the_return_takes_it_back(shop, staff):
    seller_id = shop.seller.pk
    assert SellerAccount.objects.get(seller_id=seller_id).name == "Flow Seller"  # from catalog's events
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 2})
    assert placed["status"] == "paid"
    assert payouts.balance(seller_id, "USD", "pending") == Decimal("36.00")  # 40.00 − 10 %
    commission = LedgerEntry.objects.filter(account="platform:commission", seller_id=seller_id)
    assert sum(e.credit - e.debit for e in commission) == Decimal("4.00")

    [shipment] = order(buyer, placed["order_id"])["shipments"]
    staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/")
    carrier_update(shipment, "delivered")
    buyer.post(
        f"/api/v1/orders/{placed['order_id']}/returns/",
        {"lines": [{"sku": "FLOW-RED", "quantity": 2}], "reason": "too small"},
    )
    [parcel] = staff.get(f"/api/v1/shipping/returns/?order_id={placed['order_id']}").json()["results"]
    assert staff.post(f"/api/v1/shipping/returns/{parcel['return_id']}/receive/").status_code == 200

    assert payouts.balance(seller_id, "USD", "pending") == 0  # the goods came back: nothing earned
    assert sum(e.credit - e.debit for e in commission.all()) == 0
    shipping = LedgerEntry.objects.filter(account="platform:shipping")
    assert sum(e.credit - e.debit for e in shipping) > 0  # shipping is kept, not refunded
    st = statement(seller_id, "USD", payouts.period_key())
    assert (st.credits, st.debits, st.closing) == (Decimal("36.00"), Decimal("36.00"), 0) and st.reconciles
    ledgers_balance()
