"""Exactly one message per (event, recipient, channel, message type), and exactly one send
of it: redelivery, replay, concurrent workers on their own PostgreSQL connections, and
concurrent sends of one message all end with one row and one email."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from flowmart.contracts.payments import PaymentProcessed
from flowmart.events import relay
from flowmart.events.models import Delivery, InboxRecord
from flowmart.notifications import handlers
from flowmart.notifications.models import Message
from flowmart.notifications.services import sending

from .conftest import money, order_confirmed

pytestmark = pytest.mark.django_db(transaction=True)


def paid(order):
    return PaymentProcessed(
        order_id=order.order_id, payment_id=1, status="succeeded", amount=money("52.50"), provider="dummy"
    )


def in_parallel(fn, n: int) -> list:
    """Run fn(i) in n threads released together; each thread has its own database connection."""
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = fn(i)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return results


def test_workers_handling_one_event_at_once_write_and_send_one_message(emit, providers):
    order = order_confirmed()
    emit(order)
    event = paid(order)

    def handle(_):
        with transaction.atomic():  # each "worker" runs the subscriber as a redelivery would, without the inbox
            handlers.on_payment_processed(event)

    in_parallel(handle, 6)
    assert Message.objects.filter(source_key=str(event.event_id)).count() == 1
    assert len(providers.smtp.to(order.customer_email)) == 1


def test_parallel_sends_of_one_message_reach_the_provider_once(emit, providers, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    order = order_confirmed()
    emit(order)
    with transaction.atomic():
        handlers.on_payment_processed(paid(order))
        ids = list(Message.objects.values_list("pk", flat=True))
        transaction.get_connection().run_on_commit.clear()  # no nudge: the threads race for it
    [message_id] = ids
    outcomes = in_parallel(lambda _: sending.send(message_id), 8)
    assert sorted(outcomes) == ["sent"] + ["skipped"] * 7
    assert len(providers.smtp.to(order.customer_email)) == 1
    assert Message.objects.get(pk=message_id).attempts == 1


def test_a_replayed_delivery_whose_inbox_row_was_lost_sends_nothing_new(emit, providers):
    order = order_confirmed()
    emit(order)
    event = paid(order)
    emit(event)
    delivery = Delivery.objects.get(event__event_id=event.event_id, subscriber="notifications.on_payment_processed")
    InboxRecord.objects.filter(event_id=event.event_id).delete()
    Delivery.objects.filter(pk=delivery.pk).update(status="pending")
    assert relay.deliver(delivery.pk) == "done"
    assert Message.objects.filter(source_key=str(event.event_id)).count() == 1
    assert len(providers.smtp.to(order.customer_email)) == 1


def test_the_database_refuses_a_second_row_for_the_same_message(emit):
    order = order_confirmed()
    emit(order, paid(order))
    row = Message.objects.get()
    row.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
