"""A seller's statement reconciles to the orders to the cent; lost disputes are debited; the
admin screens show each seller's staff their own sellers only, and keep operations' who/why."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from flowmart.common import roles
from flowmart.common.money import quantize
from flowmart.payments.models import KycDecision, Payout, SellerAccount, SettlementStaff
from flowmart.payments.services import payouts
from flowmart.payments.statements import statement

from . import stripe_signing
from .helpers import payment, refund_requested, send
from .settlement_helpers import age_sales, balance, line, paid_order, verified

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = {
    901: [line("A-1", 3, "12.34", 7, discount="0.50", tax="2.90"), line("A-2", 1, "7.77", 7, tax="0.62")],
    902: [line("A-3", 1, "50.00", 7, tax="4.00"), line("B-1", 1, "20.00", 8, tax="1.60")],
    903: [line("A-4", 1, "25.00", 7)],
}


def expected_credits(seller_id) -> tuple[Decimal, Decimal]:
    """Straight from the order lines: Σ net and Σ commission (10 %, half-up per line)."""
    net = commission = Decimal(0)
    for lines in ORDERS.values():
        for x in lines:
            if x.seller_id == seller_id:
                line_net = x.unit_price.amount * x.quantity - x.discount.amount
                net += line_net
                commission += quantize(line_net / 10, "USD")
    return net, commission


def test_statement_reconciles_to_the_orders_to_the_cent():
    for order_id, lines in ORDERS.items():
        paid_order(order_id, lines, shipping="4.99")
    send(refund_requested(903, "ret-903", "10.00"))  # 903 is seller 7's alone: 9.00 theirs, 1.00 commission
    net, commission = expected_credits(7)
    st = statement(7, "USD", payouts.period_key())
    assert st.opening == 0 and st.payouts == 0
    assert st.gross_sales == net and st.credits == net - commission
    assert st.debits == Decimal("9.00") and st.commission == commission - Decimal("1.00")
    assert st.closing == net - commission - Decimal("9.00") == st.pending and st.reconciles
    other = statement(8, "USD", payouts.period_key())
    assert other.credits == Decimal("18.00") and other.closing == Decimal("18.00")

    verified(7)
    age_sales()  # the sales move to an earlier period: this period opens with them
    payouts.mark_paid_by_bank(7, "USD", "BANK-7", "ops@example.com")
    st = statement(7, "USD", payouts.period_key())
    assert st.opening == net - commission  # sales of the earlier period
    assert st.payouts == net - commission - Decimal("9.00") and st.closing == 0 and st.reconciles


def test_a_lost_dispute_is_debited_and_a_won_one_is_not(api_client, stripe_on):
    paid_order(904, [line("A-1", 2, "15.00", 7)], provider="stripe")
    paid_order(905, [line("A-1", 1, "15.00", 7)], provider="stripe")
    assert balance(7, "pending") == Decimal("40.50")
    for order_id, status in ((904, "lost"), (905, "won")):
        intent = stripe_on.intents[payment(order_id).attempts.get().provider_intent_id]
        dispute = {
            "id": f"dp_{order_id}",
            "object": "dispute",
            "amount": intent["amount"],
            "currency": "usd",
            "payment_intent": intent["id"],
            "reason": "fraudulent",
            "status": status,
        }
        for event_type in ("charge.dispute.created", "charge.dispute.closed", "charge.dispute.closed"):
            body = stripe_signing.event(event_type, dispute)
            api_client.generic(
                "POST",
                "/api/v1/payments/stripe/webhook/",
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=stripe_signing.sign(body, "whsec_test_flowmart"),
            )
    assert balance(7, "pending") == Decimal("13.50")  # 904's 27.00 taken back once; 905 kept
    st = statement(7, "USD", payouts.period_key())
    assert st.debits == Decimal("27.00") and st.reconciles


@pytest.fixture
def two_sellers():
    SellerAccount.objects.create(seller_id=7, name="Seven Shop")
    SellerAccount.objects.create(seller_id=8, name="Eight Shop")
    paid_order(906, [line("A-1", 1, "10.00", 7), line("B-1", 1, "20.00", 8)])


def test_seller_staff_see_only_their_own(client, make_staff, two_sellers):
    staff = make_staff(roles.SELLER_STAFF, email="seven@x.test").user
    with transaction.atomic():
        SettlementStaff.apply(staff.id, [7], timezone.now())
    Payout.objects.create(seller=SellerAccount.objects.get(seller_id=8), period="2026-W01", currency="USD")
    client.force_login(staff)
    listing = client.get("/admin/payments/selleraccount/").content.decode()
    assert "Seven Shop" in listing and "Eight Shop" not in listing
    mine, theirs = SellerAccount.objects.get(seller_id=7), SellerAccount.objects.get(seller_id=8)
    page = client.get(f"/admin/payments/selleraccount/{mine.pk}/statement/")
    assert page.status_code == 200 and "$9.00" in page.content.decode()
    assert client.get(f"/admin/payments/selleraccount/{theirs.pk}/statement/").status_code == 404
    assert client.get(f"/admin/payments/selleraccount/{theirs.pk}/change/").status_code == 404
    assert "Eight Shop" not in client.get("/admin/payments/payout/").content.decode()
    assert client.get("/admin/payments/kycdecision/add/").status_code == 403
    assert client.get("/admin/payments/payout/add/").status_code == 403


def test_operations_verify_and_mark_a_bank_transfer_in_the_admin(admin_client, admin_user, two_sellers):
    seller = SellerAccount.objects.get(seller_id=7)
    response = admin_client.post(
        "/admin/payments/kycdecision/add/", {"seller": seller.pk, "status": "verified", "reason": "id checked"}
    )
    assert response.status_code == 302, response.context_data["adminform"].form.errors
    decision = KycDecision.objects.get()
    assert (decision.decided_by, decision.reason, decision.status) == (
        admin_user.get_username(),
        "id checked",
        "verified",
    )
    age_sales()
    response = admin_client.post(
        "/admin/payments/payout/add/", {"seller": seller.pk, "currency": "USD", "reference": "SEPA-77"}
    )
    assert response.status_code == 302
    payout = Payout.objects.get()
    assert (payout.status, payout.method, payout.reference, payout.amount) == (
        "paid",
        "bank_transfer",
        "SEPA-77",
        Decimal("9.00"),
    )
    assert payout.paid_by == admin_user.get_username()
    unverified = SellerAccount.objects.get(seller_id=8)
    refused = admin_client.post(
        "/admin/payments/payout/add/", {"seller": unverified.pk, "currency": "USD", "reference": "SEPA-78"}
    )
    assert refused.status_code == 200 and "not verified" in refused.content.decode()
    assert Payout.objects.count() == 1
