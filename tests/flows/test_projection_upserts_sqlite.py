"""The subscribers' one-statement upserts (INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING)
on real SQLite, the embedded default of `make run`: stale reports lose, repeats change nothing,
the rows come back converted. The suite runs on PostgreSQL, so this runs in a child process."""

from tests.support.embedded import run_on_sqlite

SCRIPT = """
import json
from datetime import timedelta
from types import SimpleNamespace as NS

import django

django.setup()
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

call_command("migrate", verbosity=0)
from flowmart.billing.models import BilledOrder
from flowmart.billing.services import projections as billing
from flowmart.notifications.models import Message, OrderCopy, SkuCopy
from flowmart.notifications.services import composing, projections as notifications
from flowmart.recommendations.models import Order, Sku
from flowmart.recommendations.services import availability, orders
from flowmart.reviews.models import Purchase
from flowmart.reviews.services import projections as reviews

now = timezone.now()
old = now - timedelta(hours=1)
level = lambda sku, available: NS(sku=sku, available=available)
out = {"vendor": connection.vendor}
with transaction.atomic():
    out["available"] = [
        notifications.keep_levels([level("A", 3), level("B", 0)], now),
        notifications.keep_levels([level("A", 0)], old),
        notifications.keep_levels([level("A", 5), level("A", 6)], now),
        notifications.keep_levels([level("A", 6)], now, waited_for=True),  # nobody waits for A
    ]
    out["sku_copies"] = list(SkuCopy.objects.order_by("sku").values_list("sku", "available"))
    status = dict(order_id=1, customer_id=None, status="paid", cancellation_reason=None)
    notifications.keep_order_status(NS(order_number="FM-1", customer_email="a@example.com", **status))
    notifications.keep_order_status(NS(order_number="", customer_email="", **status))
    copy = OrderCopy.objects.get(order_id=1)
    out["order_copy"] = [copy.number, copy.email, copy.status]

    availability.apply_stock_levels([level("A", 2)], now)
    availability.apply_stock_levels([level("A", 9)], old)
    out["stock"] = Sku.objects.get(sku="A").available
    orders.order_paid(7, now)
    orders.order_confirmed(7, {"A": 1})
    orders.order_paid(7, now + timedelta(minutes=1))
    counted = Order.objects.get(order_id=7)
    out["counted"] = [counted.lines, counted.confirmed, counted.paid_at == now, counted.counted_at == now]

    reviews.order_placed(9, None, ["A"])
    reviews.order_placed(9, 5, ["A", "B"])
    reviews.order_placed(9, 6, [])
    purchase = Purchase.objects.get(order_id=9)
    out["purchase"] = [purchase.customer_id, sorted(purchase.lines.values_list("sku", flat=True))]

    first, again = billing.locked_order(11), billing.locked_order(11)
    out["billed"] = [first.pk == again.pk, again.lines, BilledOrder.objects.count()]

    source = composing.Source(key="event-1", event_name="PaymentProcessed")
    sent = [composing.queue(source, "order_confirmation", [composing.customer(5, email="b@example.com")], {})]
    sent.append(composing.queue(source, "order_confirmation", [composing.customer(5, email="b@example.com")], {}))
    out["messages"] = [len(sent[0]), sent[0] == sent[1], Message.objects.count()]
print("RESULT " + json.dumps(out))
"""


def test_the_upserts_keep_their_promises_on_sqlite(tmp_path):
    out = run_on_sqlite(SCRIPT, tmp_path / "db.sqlite3")
    assert out == {
        "vendor": "sqlite",
        "available": [["A"], [], ["A"], []],  # a stale report changes nothing; the last of a SKU's reports wins
        "sku_copies": [["A", 6], ["B", 0]],
        "order_copy": ["FM-1", "a@example.com", "paid"],  # what an event leaves empty keeps its value
        "stock": 2,
        "counted": [{"A": 1}, True, True, True],  # counted once, at the first payment
        "purchase": [5, ["A", "B"]],  # the first customer known stays
        "billed": [True, [], 1],
        "messages": [1, True, 1],  # a repeat writes nothing new and nudges the same row
    }
