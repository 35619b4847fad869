"""Payments' one-statement writes on the embedded default (SQLite): the payment, attempt and
dummy intent inserted with ON CONFLICT DO NOTHING RETURNING (a redelivery charges nothing
twice), the velocity counts in plain SQL (a guest counted by email, any case), the discount
posted once by a conditional UPDATE … RETURNING, and OrderConfirmed's settlement row inserted
first. The suite runs on PostgreSQL, so this runs in a child process on a fresh SQLite file."""

from decimal import Decimal

from tests.support.embedded import run_on_sqlite

SCRIPT = """
import json
from decimal import Decimal

import django

django.setup()
from django.core.management import call_command
from django.db import connection, transaction

call_command("migrate", verbosity=0)
from flowmart.payments import handlers, ledger, settlement_handlers
from flowmart.payments.models import DummyIntent, LedgerEntry, OrderSettlement, Payment, PaymentAttempt
from tests.payments.helpers import initiated, reserved
from tests.payments.settlement_helpers import confirmed, line


def deliver(handler, event):
    with transaction.atomic():
        handler(event)


out = {"vendor": connection.vendor}
deliver(handlers.note_stock_reserved, reserved(801))
deliver(handlers.hold_payment_request, initiated(801))
deliver(handlers.hold_payment_request, initiated(801))  # a redelivery
payment = Payment.objects.get(order_id=801)
out["charged"] = [payment.status, str(payment.captured_amount), payment.card_last4]
out["rows"] = [Payment.objects.count(), PaymentAttempt.objects.count(), DummyIntent.objects.count()]

guest = {"customer_id": None, "client_ip": "203.0.113.9"}
for order_id, email in [(802, "Guest@Example.com"), (803, "guest@example.com")]:
    deliver(handlers.note_stock_reserved, reserved(order_id))
    deliver(handlers.hold_payment_request, initiated(order_id, customer_email=email, **guest))
inputs = Payment.objects.get(order_id=803).assessments.get().inputs
out["velocity"] = [inputs[k] for k in ("customer_orders_in_window", "card_orders_in_window", "ip_orders_in_window")]

with transaction.atomic():
    ledger.note_order_discount(804, Decimal("5.00"), "USD")  # OrderConfirmed before the capture
deliver(handlers.note_stock_reserved, reserved(804))
deliver(handlers.hold_payment_request, initiated(804))
with transaction.atomic():
    again = ledger.post_discount(Payment.objects.get(order_id=804))
    ledger.note_order_discount(804, Decimal("5.00"), "USD")  # a redelivery of OrderConfirmed
discount = LedgerEntry.objects.filter(order_id=804, kind="discount")
out["discount"] = [again, discount.count(), str(sum(e.debit for e in discount))]

event = confirmed(805, [line("SKU-1", 2, "25.00", seller_id=7)])
deliver(settlement_handlers.settle_confirmed_lines, event)
deliver(settlement_handlers.settle_confirmed_lines, event)
out["settlements"] = list(OrderSettlement.objects.values_list("order_id", "total"))
out["drift"] = [str(d) for d in ledger.check_ledger()]
print("RESULT " + json.dumps(out, default=str))
"""


def test_the_charge_path_keeps_its_promises_on_sqlite(tmp_path):
    out = run_on_sqlite(SCRIPT, tmp_path / "db.sqlite3")
    assert out == {
        "vendor": "sqlite",
        "charged": ["succeeded", "50.000", "4242"],
        "rows": [1, 1, 1],  # the redelivery inserted nothing and charged nothing
        "velocity": [1, 2, 1],  # the guest's earlier order (email in another case), the card twice, the IP
        "discount": [False, 2, "5.000"],  # posted once, at the capture
        "settlements": [[805, str(Decimal("50.000"))]],
        "drift": [],
    }
