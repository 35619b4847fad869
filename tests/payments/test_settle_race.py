"""The sync confirmation path and the webhook race on real threads and PostgreSQL:
one PaymentProcessed, one capture, however they interleave."""

import json
import threading

import pytest
from django.db import connection

from flowmart.payments.gateways.dummy import DummyGateway
from flowmart.payments.models import DummyIntent, LedgerEntry, StripeWebhookEvent
from flowmart.payments.services import charging, webhooks

from . import stripe_signing
from .helpers import assert_ledger_balanced, initiated, payment, published, reserved, send

pytestmark = pytest.mark.django_db(transaction=True)


def race(*fns):
    barrier = threading.Barrier(len(fns))
    results, errors = [None] * len(fns), []

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


@pytest.mark.parametrize("round_", range(3))
def test_two_settles_of_the_same_success_publish_once(round_):
    order = 500 + round_
    send(initiated(order, "pm_card_authenticationRequired"), reserved(order))
    attempt = payment(order).attempts.get()
    outcome = DummyGateway().complete_authentication(attempt.provider_intent_id)
    results = race(
        lambda: charging.settle_payment(outcome, attempt_id=attempt.pk),  # the sync path
        lambda: charging.settle_payment(outcome),  # the webhook path, by intent id
        lambda: charging.settle_payment(outcome),
    )
    assert sorted(results) == [False, False, True]
    assert [e["status"] for e in published("PaymentProcessed", order)] == ["succeeded"]
    assert LedgerEntry.objects.filter(order_id=order, kind="capture").count() == 2  # one balanced pair
    assert_ledger_balanced(order)


def test_stripe_refresh_racing_the_webhook(stripe_on):
    send(initiated(510, "pm_card_authenticationRequired", provider="stripe"), reserved(510))
    p = payment(510)
    intent = stripe_on.authenticate(p.attempts.get().provider_intent_id)
    body = stripe_signing.event("payment_intent.succeeded", intent)
    row = StripeWebhookEvent.objects.create(
        stripe_event_id="evt_race", type="payment_intent.succeeded", payload=json.loads(body)
    )
    race(lambda: charging.refresh_from_provider(p.pk), lambda: webhooks.process(row.pk))
    assert [e["status"] for e in published("PaymentProcessed", 510)] == ["succeeded"]
    assert len(stripe_on.charges) == 1
    assert_ledger_balanced(510)


@pytest.mark.parametrize("round_", range(4))
def test_payment_initiated_and_reservation_handled_at_the_same_moment_charge_once(round_):
    """Two workers, one per half of the saga: neither may miss the other's uncommitted row."""
    from django.db import transaction

    from flowmart.payments.services import saga

    order = 520 + round_

    def initiated_half():
        with transaction.atomic():
            saga.payment_initiated(initiated(order))

    def reserved_half():
        with transaction.atomic():
            saga.stock_reserved(order, None)

    race(initiated_half, reserved_half)
    assert payment(order).status == "succeeded"
    assert DummyIntent.objects.filter(idempotency_key=f"flowmart-order-{order}-charge").count() == 1
