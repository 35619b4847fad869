"""Billing runs driven by `billing_run --as-of`: renewals through the real saga, grouping of
same-day renewals, stock-short retries, the whole dunning ladder, hard declines, a card
change retrying at once, pauses, and exactly-once when runs or events repeat."""

from datetime import timedelta
from decimal import Decimal

import pytest

from flowmart.events.base import Event
from flowmart.events.models import OutboxEvent
from flowmart.inventory import services as inventory
from flowmart.orders.models import Order
from flowmart.orders.services import renewals as order_renewals
from flowmart.payments.models import PaymentAttempt
from flowmart.subscriptions.models import Renewal, RenewalAttempt, Subscription

from .conftest import billing_run, detail, next_billing, register, subscribe

pytestmark = pytest.mark.django_db(transaction=True)
DAY = timedelta(days=1)


def events(name, **match):
    rows = [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("id")]
    return [p for p in rows if all(p.get(k) == v for k, v in match.items())]


def change_card(client, sub_id, payment_method):
    response = client.patch(
        f"/api/v1/subscriptions/{sub_id}/",
        {"payment": {"provider": "dummy", "payment_method": payment_method}},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_due_cycle_is_billed_once_through_the_saga(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    due = next_billing(sub_id)
    assert "0 renewal(s)" in billing_run(due - timedelta(seconds=1))
    assert "1 renewal(s) in 1 order(s)" in billing_run(due)
    assert "0 renewal(s)" in billing_run(due)  # the same clock again: nothing
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    assert renewal.status == "paid" and Order.objects.get(pk=renewal.order_id).status == "paid"
    key = PaymentAttempt.objects.get(payment__order_id=renewal.order_id).idempotency_key
    assert key == f"flowmart-sub-{sub_id}-cycle-2-attempt-1"
    assert PaymentAttempt.objects.get(payment__order_id=renewal.order_id).off_session
    assert events("SubscriptionRenewed", subscription_id=sub_id, cycle=2)
    assert next_billing(sub_id) > due + 27 * DAY
    body = detail(buyer, sub_id)
    assert [r["cycle"] for r in body["renewals"]] == [2, 1]


def test_same_day_renewals_to_one_address_are_one_order_with_each_plans_discount(plans):
    buyer = register()
    red = subscribe(buyer, plans["red_monthly"], quantity=1)["id"]
    blue = subscribe(buyer, plans["blue_monthly"], quantity=2)["id"]
    other = register()  # another customer due the same day: an order of their own
    subscribe(other, plans["red_monthly"])
    out = billing_run(
        max(next_billing(red), next_billing(blue), Subscription.objects.order_by("-id")[0].next_billing_at)
    )
    assert "3 renewal(s) in 2 order(s)" in out
    orders = Order.objects.filter(customer_id=Subscription.objects.get(pk=red).customer_id, renewal_cycle=2)
    order = orders.get()
    lines = {line.sku: line for line in order.lines.all()}
    assert lines["FLOW-RED"].discount == Decimal("2.00")  # 10 % of 20.00
    assert lines["FLOW-BLUE"].discount == Decimal("3.50")  # 5 % of 70.00
    assert {line.subscription_id for line in lines.values()} == {red, blue}
    assert order.status == "paid" and order.payment_status == "paid"
    assert PaymentAttempt.objects.filter(payment__order_id=order.pk).count() == 1  # one charge
    due = events("SubscriptionRenewalDue")
    assert len([e for e in due if len(e["lines"]) == 2]) == 1
    assert Renewal.objects.filter(order_id=order.pk, status="paid").count() == 2


def test_the_whole_dunning_ladder_ends_in_cancellation(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    change_card(buyer, sub_id, "pm_card_chargeDeclined")
    due = next_billing(sub_id)
    billing_run(due)
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    assert renewal.status == "past_due" and renewal.next_retry_at == due + DAY
    assert Subscription.objects.get(pk=sub_id).status == "past_due"
    assert "0 retry" in billing_run(due + DAY / 2)  # not yet
    for days in (1, 3, 5):
        assert "1 retry" in billing_run(due + days * DAY)
        assert Subscription.objects.get(pk=sub_id).status == "past_due"
        nxt = {1: 3, 3: 5, 5: 7}[days]
        assert Renewal.objects.get(pk=renewal.pk).next_retry_at == due + nxt * DAY
    billing_run(due + 7 * DAY)  # the last one fails too
    sub = Subscription.objects.get(pk=sub_id)
    assert (sub.status, sub.cancellation_reason) == ("cancelled", "payment_failed")
    attempts = RenewalAttempt.objects.filter(renewal=renewal).order_by("number")
    assert [(a.number, a.status, a.failure_code) for a in attempts] == [
        (n, "failed", "card_declined") for n in range(1, 6)
    ]
    keys = PaymentAttempt.objects.filter(payment__subscription_id=sub_id, payment__renewal_cycle=2)
    assert {k.idempotency_key for k in keys} == {f"flowmart-sub-{sub_id}-cycle-2-attempt-{n}" for n in range(1, 6)}
    failed = events("SubscriptionRenewalFailed", subscription_id=sub_id)
    assert [f["attempt"] for f in failed] == [1, 2, 3, 4]
    assert events("UserSubscriptionCancelled", subscription_id=sub_id)[0]["reason"] == "payment_failed"
    assert "0 renewal(s)" in billing_run(due + 40 * DAY)  # a cancelled subscription is never billed


def test_a_new_card_retries_at_once_and_success_does_not_extend_twice(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    change_card(buyer, sub_id, "pm_card_chargeDeclinedInsufficientFunds")
    due = next_billing(sub_id)
    billing_run(due)
    after_emit = next_billing(sub_id)
    assert Subscription.objects.get(pk=sub_id).status == "past_due"
    assert "0 renewal(s)" in billing_run(due + DAY / 2)  # past due: no new cycle, no retry yet
    body = change_card(buyer, sub_id, "pm_card_visa")
    assert body["status"] == "active"
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    assert (renewal.status, renewal.attempts) == ("paid", 2)
    assert not Renewal.objects.filter(subscription_id=sub_id, cycle=3).exists()
    assert next_billing(sub_id) == after_emit  # paid late, the period is not extended again
    assert "0 retry" in billing_run(due + DAY)


def test_a_hard_decline_stops_retries_until_the_window_ends(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    change_card(buyer, sub_id, "pm_card_chargeDeclinedStolenCard")
    due = next_billing(sub_id)
    billing_run(due)
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    assert (renewal.status, renewal.failure_code, renewal.next_retry_at) == ("past_due", "stolen_card", None)
    assert events("SubscriptionRenewalFailed", subscription_id=sub_id)[0]["next_retry_at"] is None
    for days in (1, 3, 5):
        assert "0 retry" in billing_run(due + days * DAY)
    assert RenewalAttempt.objects.filter(renewal=renewal).count() == 1
    assert "1 cancelled" in billing_run(due + 7 * DAY)
    assert Subscription.objects.get(pk=sub_id).cancellation_reason == "payment_failed"


def test_authentication_required_goes_to_dunning_with_a_link(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    change_card(buyer, sub_id, "pm_card_authenticationRequired")
    billing_run(next_billing(sub_id))
    failed = events("SubscriptionRenewalFailed", subscription_id=sub_id)[0]
    assert failed["reason"] == "authentication_required" and failed["failure_code"] == "authentication_required"
    assert failed["action_url"].endswith(f"/account/subscriptions/{sub_id}/payment/")
    assert failed["next_retry_at"] is not None
    assert Subscription.objects.get(pk=sub_id).status == "past_due"


def test_a_stock_short_renewal_is_retried_then_skipped_with_the_reason(plans, settings):
    settings.SUBSCRIPTIONS = {**settings.SUBSCRIPTIONS, "STOCK_RETRY_DAYS": 2}
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"], quantity=5)["id"]  # 5 of 10 reserved
    inventory.adjust_stock(sku="FLOW-RED", warehouse_code="US-EAST", quantity=-4, reason="breakage")
    due = next_billing(sub_id)
    billing_run(due)
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    assert (renewal.status, renewal.next_retry_at) == ("stock_short", due + DAY)
    told = events("SubscriptionRenewalFailed", subscription_id=sub_id)
    assert told[0]["reason"] == "out_of_stock" and told[0]["next_retry_at"]
    assert Subscription.objects.get(pk=sub_id).status == "active"
    billing_run(due + DAY)  # still short
    assert Renewal.objects.get(pk=renewal.pk).next_retry_at == due + 2 * DAY
    billing_run(due + 2 * DAY)
    renewal = Renewal.objects.get(pk=renewal.pk)
    assert (renewal.status, renewal.reason, renewal.attempts) == ("skipped", "out_of_stock", 3)
    assert Subscription.objects.get(pk=sub_id).status == "active"  # the next cycle comes as usual
    assert "1 renewal(s)" in billing_run(next_billing(sub_id))


def test_stock_back_before_the_retry_fills_the_renewal(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"], quantity=5)["id"]
    inventory.adjust_stock(sku="FLOW-RED", warehouse_code="US-EAST", quantity=-4, reason="breakage")
    due = next_billing(sub_id)
    billing_run(due)
    inventory.receive_stock(sku="FLOW-RED", warehouse_code="US-EAST", quantity=20, reason="restock")
    billing_run(due + DAY)
    assert Renewal.objects.get(subscription_id=sub_id, cycle=2).status == "paid"


def test_a_pause_until_a_date_resumes_by_itself_and_missed_cycles_are_not_billed(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_fortnightly"])["id"]
    first_due = next_billing(sub_id)
    until = first_due + 40 * DAY
    buyer.post(f"/api/v1/subscriptions/{sub_id}/pause/", {"until": until.isoformat()}, format="json")
    assert "0 renewal(s)" in billing_run(first_due + DAY)  # paused: not billed
    out = billing_run(until)
    assert "1 resumed" in out and "0 renewal(s)" in out
    sub = Subscription.objects.get(pk=sub_id)
    assert sub.status == "active" and sub.next_cycle == 2 and sub.next_billing_at >= until
    assert (sub.next_billing_at - first_due).days % 14 == 0  # still on the anchor's calendar
    assert "1 renewal(s)" in billing_run(sub.next_billing_at)


def test_a_redelivered_or_repeated_renewal_event_makes_no_second_order(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    billing_run(next_billing(sub_id))
    row = OutboxEvent.objects.filter(name="SubscriptionRenewalDue").order_by("-id")[0]
    ev = Event.from_dict(row.payload)
    first = order_renewals.renewal_due(ev)
    assert order_renewals.renewal_due(ev).pk == first.pk
    assert Order.objects.filter(renewal_key=ev.renewal_key).count() == 1


def test_a_version_1_renewal_payload_still_in_flight_is_read_as_one_line():
    v1 = {
        "name": "SubscriptionRenewalDue", "version": 1, "event_id": "5f0b8a1e-51a4-4c41-9d0c-1d3c7d1d9a11",
        "occurred_at": "2027-01-01T00:00:00+00:00", "correlation_id": "c", "causation_id": None,
        "subscription_id": 7, "cycle": 3, "customer_id": 1, "customer_email": "a@example.com", "sku": "S-1",
        "quantity": 2, "discount_percent": 10, "shipping_method": "standard", "provider": "dummy",
        "payment_method": "pm_card_visa",
        "shipping_address": {"name": "A", "line1": "1", "line2": "", "city": "C", "postal_code": "1",
                             "country": "US", "phone": ""},
    }  # fmt: skip
    ev = Event.from_dict(v1)
    assert ev.version == 2 and ev.renewal_key == "7-3-1"
    line = ev.lines[0]
    assert (line.subscription_id, line.cycle, line.attempt, line.sku, line.quantity, line.discount_percent) == (
        7, 3, 1, "S-1", 2, 10,
    )  # fmt: skip
