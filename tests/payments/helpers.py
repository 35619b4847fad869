"""Build and publish the contract events payments listens to, and read back what it published."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from flowmart.common.money import Money
from flowmart.contracts.inventory import InventoryAdjusted, OutOfStock
from flowmart.contracts.orders import OrderAmended, PaymentInitiated, RefundRequested
from flowmart.events import publish
from flowmart.events.models import OutboxEvent
from flowmart.payments.ledger import check_payment
from flowmart.payments.models import LedgerEntry, Payment
from tests.support import contract_events


def initiated(order_id, pm="pm_card_visa", provider="dummy", amount="50.00", **extra) -> PaymentInitiated:
    fields = {
        "order_id": order_id,
        "order_number": f"FM-{order_id}",
        "customer_id": extra.pop("customer_id", 1000 + order_id),
        "customer_email": "buyer@example.com",
        "customer_since": timezone.now() - timedelta(days=400),
        "amount": Money(Decimal(amount), "USD"),
        "provider": provider,
        "payment_method": pm,
        "shipping_country": "US",
        "item_count": 2,
        "client_ip": f"10.0.{order_id % 250}.{order_id % 200 + 1}",
    }
    fields.update(extra)
    return PaymentInitiated(**fields)


def reserved(order_id, amendment_id=None) -> InventoryAdjusted:
    return contract_events.reserved(order_id, (("SKU-1", 2, "WH-US", "US"),), amendment_id=amendment_id)


def out_of_stock(order_id, amendment_id=None) -> OutOfStock:
    return contract_events.out_of_stock(order_id, ("SKU-1",), amendment_id=amendment_id)


cancelled = contract_events.order_cancelled


def amended(order_id, amendment_id, old, new) -> OrderAmended:
    return contract_events.order_amended(order_id, amendment_id, old_total=old, new_total=new)


def refund_requested(order_id, reference, amount, reason="return") -> RefundRequested:
    return RefundRequested(order_id=order_id, reference=reference, amount=Money(Decimal(amount), "USD"), reason=reason)


def send(*events) -> None:
    """Publish in a committed transaction: eager Celery delivers to every subscriber on commit."""
    for ev in events:
        with transaction.atomic():
            publish(ev)


def published(name: str, order_id: int) -> list[dict]:
    return [row.payload for row in OutboxEvent.objects.filter(name=name, payload__order_id=order_id).order_by("id")]


def payment(order_id) -> Payment:
    return Payment.objects.get(order_id=order_id)


def assert_ledger_balanced(order_id) -> None:
    p = payment(order_id)
    assert check_payment(p) == []
    for txn in set(LedgerEntry.objects.filter(order_id=order_id).values_list("transaction_id", flat=True)):
        entries = LedgerEntry.objects.filter(transaction_id=txn)
        assert sum(e.debit for e in entries) == sum(e.credit for e in entries)
    total = sum(e.debit - e.credit for e in LedgerEntry.objects.filter(order_id=order_id))
    assert total == 0
