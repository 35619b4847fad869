"""A SKU retired after its renewal was emitted: orders leaves the line out of the renewal
order (RenewalLinesLeftOut) and subscriptions records the cycle's outcome — skipped, reason
product_retired, the customer told — instead of leaving it `billing` for ever (or, inside a
grouped order, counting it paid with the lines that were ordered)."""

from datetime import timedelta

import pytest
from django.db import transaction

from flowmart.contracts.catalog import ProductRetired
from flowmart.events.models import OutboxEvent
from flowmart.orders import handlers as orders_handlers
from flowmart.orders.models import Order
from flowmart.subscriptions.models import Renewal, RenewalAttempt, RenewalBatch, Subscription

from .conftest import billing_run, detail, next_billing, register, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def retired_in_orders_only(sku: str) -> None:
    """The retirement reached orders but not yet subscriptions: the billing run still emits
    the renewal, orders then finds the SKU not for sale (the two contexts' deliveries race)."""
    with transaction.atomic():
        orders_handlers.retire_variants(ProductRetired(product_id=0, skus=(sku,)))


def events(name, **match):
    rows = [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("id")]
    return [p for p in rows if all(p.get(k) == v for k, v in match.items())]


def test_a_renewal_whose_sku_was_retired_is_skipped_with_the_reason_and_the_customer_told(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["blue_monthly"])["id"]
    retired_in_orders_only("FLOW-BLUE")
    due = next_billing(sub_id)
    assert "1 renewal(s) in 1 order(s)" in billing_run(due)
    assert not Order.objects.filter(renewal_cycle=2).exists()  # nothing left to order
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    assert (renewal.status, renewal.reason, renewal.next_retry_at) == ("skipped", "product_retired", None)
    attempt = RenewalAttempt.objects.get(renewal=renewal)
    assert (attempt.status, attempt.failure_code) == ("cancelled", "product_retired")
    assert attempt.settled_at is not None
    batch = RenewalBatch.objects.get(pk=attempt.batch_id)
    assert (batch.outcome, batch.failure_code, batch.order_id) == ("cancelled", "product_retired", None)
    left_out = events("RenewalLinesLeftOut")
    assert len(left_out) == 1 and left_out[0]["order_id"] is None and left_out[0]["reason"] == "product_retired"
    told = events("SubscriptionRenewalFailed", subscription_id=sub_id)
    assert [(e["reason"], e["next_retry_at"]) for e in told] == [("product_retired", None)]
    sub = Subscription.objects.get(pk=sub_id)
    assert sub.status == "active"  # the customer may swap to a variant still for sale
    assert detail(buyer, sub_id)["renewals"][0]["status"] == "skipped"
    # nothing is left "in progress": the next cycle is billed as usual (and skipped while not for sale)
    assert "0 renewal(s)" in billing_run(due + timedelta(days=1))


def test_a_retired_line_of_a_grouped_renewal_is_skipped_not_counted_as_paid(plans):
    buyer = register()
    red = subscribe(buyer, plans["red_monthly"])["id"]
    blue = subscribe(buyer, plans["blue_monthly"])["id"]
    retired_in_orders_only("FLOW-BLUE")
    assert "2 renewal(s) in 1 order(s)" in billing_run(max(next_billing(red), next_billing(blue)))
    order = Order.objects.get(renewal_cycle=2)
    assert [line.sku for line in order.lines.all()] == ["FLOW-RED"]
    assert order.status == "paid"
    paid = Renewal.objects.get(subscription_id=red, cycle=2)
    assert (paid.status, paid.order_id) == ("paid", order.pk)
    skipped = Renewal.objects.get(subscription_id=blue, cycle=2)
    assert (skipped.status, skipped.reason) == ("skipped", "product_retired")
    assert RenewalAttempt.objects.get(renewal=skipped).status == "cancelled"
    assert RenewalBatch.objects.get(order_id=order.pk).outcome == "paid"
    assert events("RenewalLinesLeftOut")[0]["order_id"] == order.pk
    assert not events("SubscriptionRenewed", subscription_id=blue, cycle=2)
    assert events("SubscriptionRenewed", subscription_id=red, cycle=2)
    assert [e["reason"] for e in events("SubscriptionRenewalFailed", subscription_id=blue)] == ["product_retired"]
    assert not events("SubscriptionRenewalFailed", subscription_id=red)


def test_a_left_out_line_heard_after_the_payment_outcome_is_still_skipped(plans, monkeypatch):
    """Deliveries may come in any order (a failed delivery is retried later): the order's
    payment counted the left-out line paid first; RenewalLinesLeftOut puts it right."""
    from flowmart.events import registry
    from flowmart.events.base import Event
    from flowmart.subscriptions import handlers

    wired = {name: [s for s in subs if s.name != "subscriptions.on_renewal_lines_left_out"]
             for name, subs in registry._BY_EVENT.items()}  # fmt: skip
    monkeypatch.setattr(registry, "_BY_EVENT", wired)
    buyer = register()
    red = subscribe(buyer, plans["red_monthly"])["id"]
    blue = subscribe(buyer, plans["blue_monthly"])["id"]
    retired_in_orders_only("FLOW-BLUE")
    billing_run(max(next_billing(red), next_billing(blue)))
    assert Renewal.objects.get(subscription_id=blue, cycle=2).status == "paid"  # wrong, until it is heard
    left_out = Event.from_dict(OutboxEvent.objects.get(name="RenewalLinesLeftOut").payload)
    for _ in range(2):  # heard twice (a replay): one outcome
        with transaction.atomic():
            handlers.on_renewal_lines_left_out(left_out)
    skipped = Renewal.objects.get(subscription_id=blue, cycle=2)
    assert (skipped.status, skipped.reason) == ("skipped", "product_retired")
    assert Renewal.objects.get(subscription_id=red, cycle=2).status == "paid"
    assert Subscription.objects.get(pk=blue).status == "active"
    assert len(events("SubscriptionRenewalFailed", subscription_id=blue, reason="product_retired")) == 1


def test_a_first_order_whose_sku_was_retired_cancels_the_new_subscription(plans):
    buyer = register()
    retired_in_orders_only("FLOW-BLUE")
    sub_id = subscribe(buyer, plans["blue_monthly"])["id"]  # subscriptions still sells it
    sub = Subscription.objects.get(pk=sub_id)
    assert (sub.status, sub.cancellation_reason) == ("cancelled", "product_retired")
    first = Renewal.objects.get(subscription_id=sub_id, cycle=1)
    assert (first.status, first.reason) == ("skipped", "product_retired")
    assert [e["reason"] for e in events("UserSubscriptionCancelled", subscription_id=sub_id)] == ["product_retired"]
    assert not Order.objects.exists()
