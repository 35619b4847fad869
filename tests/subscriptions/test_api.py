"""Every self-service action through the API, with its 409s, and BOLA (another customer's
subscription is 404). The first order goes through the real checkout saga (eager Celery)."""

import uuid
from decimal import Decimal

import pytest

from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Order
from flowmart.payments.models import SavedPaymentMethod
from flowmart.subscriptions.models import Renewal, Subscription

from .conftest import ADDRESS_US, detail, make_plan, register, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def post(client, sub_id, action, body=None):
    return client.post(f"/api/v1/subscriptions/{sub_id}/{action}/", body or {}, format="json")


def test_plans_are_listed_with_price_and_filtered_by_product(plans, api_client, shop):
    body = api_client.get("/api/v1/subscription-plans/").json()
    assert body["count"] == 3
    red = next(p for p in body["results"] if p["id"] == plans["red_monthly"].pk)
    assert red | {"price": red["price"]} == {
        **red,
        "sku": "FLOW-RED",
        "interval": "month",
        "interval_count": 1,
        "discount_percent": 10,
        "price": {"amount": "20.00", "currency": "USD"},
    }
    assert api_client.get(f"/api/v1/subscription-plans/?product={shop.product.pk}").json()["count"] == 3
    assert api_client.get("/api/v1/subscription-plans/?product=999999").json()["count"] == 0
    assert api_client.get("/api/v1/subscription-plans/?product=x").status_code == 400


def test_subscribing_places_the_first_discounted_order_and_saves_the_card(plans):
    buyer = register()
    created = subscribe(buyer, plans["red_monthly"], quantity=2)
    assert created["status"] == "active" and created["next_billing_at"]
    assert created["next_renewal_price"] == {"amount": "36.00", "currency": "USD"}  # 2 × 20.00 − 10 %
    order = Order.objects.get()
    assert order.status == "paid" and order.renewal_key
    # 40.00 − 4.00 discount + standard shipping for 800 g (US, no tax)
    assert (order.subtotal, order.discount, order.tax) == (Decimal("40.00"), Decimal("4.00"), 0)
    assert order.total == Decimal("36.00") + order.shipping
    line = order.lines.get()
    assert (line.subscription_id, line.renewal_cycle, line.renewal_attempt) == (created["id"], 1, 1)
    assert SavedPaymentMethod.objects.get(subscription_id=created["id"]).payment_method == "pm_card_visa"
    started = OutboxEvent.objects.get(name="UserSubscriptionStarted").payload
    assert started["subscription_id"] == created["id"] and started["renewal_price"]["amount"] == "36.00"
    body = detail(buyer, created["id"])
    assert body["renewals"][0]["cycle"] == 1 and body["renewals"][0]["status"] == "paid"
    assert body["renewals"][0]["attempts"][0]["order_id"] == order.pk


def test_the_same_idempotency_key_makes_one_subscription(plans):
    buyer = register()
    body = {
        "plan_id": plans["red_monthly"].pk,
        "shipping_address": ADDRESS_US,
        "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
    }
    first = buyer.post("/api/v1/subscriptions/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = buyer.post("/api/v1/subscriptions/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    other = buyer.post("/api/v1/subscriptions/", {**body, "quantity": 3}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert buyer.post("/api/v1/subscriptions/", body, format="json").status_code == 400  # no key
    assert Subscription.objects.count() == 1 and Order.objects.count() == 1


def test_bad_input_is_a_clear_400_and_writes_nothing(plans):
    buyer = register()
    base = {"plan_id": plans["red_monthly"].pk, "shipping_address": ADDRESS_US,
            "payment": {"provider": "dummy", "payment_method": "pm_card_visa"}}  # fmt: skip
    for bad, field in [
        ({"plan_id": 999999}, "plan_id"),
        ({"quantity": 0}, "quantity"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"payment": {"provider": "dummy", "payment_method": "pm_nope"}}, "payment"),
        ({"shipping_address_id": 5}, "shipping_address"),
        ({"shipping_method": "teleport"}, "shipping_method"),
    ]:
        response = buyer.post(
            "/api/v1/subscriptions/", {**base, **bad}, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
        )
        assert response.status_code == 400, (bad, response.content)
        assert field in response.json()["error"]["fields"], response.json()
    assert not Subscription.objects.exists() and not Order.objects.exists()


def test_another_customers_subscription_is_404_everywhere(plans):
    owner, other = register(), register()
    sub_id = subscribe(owner, plans["red_monthly"])["id"]
    assert other.get(f"/api/v1/subscriptions/{sub_id}/").status_code == 404
    assert other.patch(f"/api/v1/subscriptions/{sub_id}/", {"quantity": 3}, format="json").status_code == 404
    for action in ["pause", "resume", "skip", "ship-now", "cancel"]:
        response = post(other, sub_id, action)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", action
    assert other.get("/api/v1/subscriptions/").json()["count"] == 0
    assert Subscription.objects.get().status == "active" and Subscription.objects.get().quantity == 1


def test_pause_resume_and_their_409s(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    paused = post(buyer, sub_id, "pause", {"until": "2099-01-01T00:00:00Z"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert paused.json()["paused_until"].startswith("2099-01-01")
    again = post(buyer, sub_id, "pause")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_paused"
    for action in ["skip", "ship-now"]:
        response = post(buyer, sub_id, action)
        assert response.status_code == 409 and response.json()["error"]["code"] == "subscription_paused"
    resumed = post(buyer, sub_id, "resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert post(buyer, sub_id, "resume").json()["error"]["code"] == "not_paused"


def test_skip_moves_the_next_billing_date_one_cycle(plans):
    buyer = register()
    created = subscribe(buyer, plans["red_fortnightly"])
    skipped = post(buyer, created["id"], "skip").json()
    sub = Subscription.objects.get()
    assert sub.next_cycle == 3
    assert skipped["next_billing_at"] != created["next_billing_at"]
    renewal = Renewal.objects.get(subscription=sub, cycle=2)
    assert (renewal.status, renewal.reason) == ("skipped", "customer_skipped")


def test_ship_now_bills_the_next_cycle_today(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    response = post(buyer, sub_id, "ship-now")
    assert response.status_code == 200
    assert Order.objects.filter(status="paid").count() == 2
    cycles = [r["cycle"] for r in response.json()["renewals"]]
    assert cycles == [2, 1] and Subscription.objects.get().next_cycle == 3


def test_changes_quantity_interval_variant_address_and_card(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    next_at = Subscription.objects.get().next_billing_at
    url = f"/api/v1/subscriptions/{sub_id}/"
    assert buyer.patch(url, {"quantity": 4}, format="json").json()["quantity"] == 4
    interval = buyer.patch(url, {"plan_id": plans["red_fortnightly"].pk}, format="json").json()
    assert interval["plan"]["interval"] == "week" and interval["plan"]["interval_count"] == 2
    assert Subscription.objects.get().next_billing_at == next_at  # the next date stays; the new interval follows it
    swapped = buyer.patch(url, {"plan_id": plans["blue_monthly"].pk}, format="json").json()
    assert swapped["sku"] == "FLOW-BLUE"
    moved = buyer.patch(url, {"shipping_address": {**ADDRESS_US, "city": "Trenton"}}, format="json").json()
    assert moved["shipping_address"]["city"] == "Trenton"
    card = buyer.patch(url, {"payment": {"provider": "dummy", "payment_method": "pm_card_mastercard"}}, format="json")
    assert card.json()["payment"]["payment_method"] == "pm_card_mastercard"
    assert SavedPaymentMethod.objects.get(subscription_id=sub_id).payment_method == "pm_card_mastercard"
    changes = [e.payload["change"] for e in OutboxEvent.objects.filter(name="SubscriptionChanged").order_by("id")]
    assert changes == ["quantity", "plan", "variant", "address", "payment_method"]


def test_a_plan_of_another_product_is_refused(plans, shop):
    from flowmart.catalog import services as catalog
    from flowmart.common.money import Money

    catalog.create_product(
        seller=shop.seller, category=shop.product.category, name="Other", slug="other",
        variants=[{"sku": "OTHER-1", "name": "one", "price": Money(Decimal("9.00"), "USD"), "weight_grams": 100}],
    )  # fmt: skip
    other = make_plan("OTHER-1", "month", 1, 5)
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    response = buyer.patch(f"/api/v1/subscriptions/{sub_id}/", {"plan_id": other.pk}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "plan_of_another_product"


def test_cancel_with_a_reason_then_everything_is_409(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    cancelled = post(buyer, sub_id, "cancel", {"reason": "too_much_product"}).json()
    assert (cancelled["status"], cancelled["cancellation_reason"]) == ("cancelled", "too_much_product")
    assert cancelled["next_billing_at"] is None
    for action in ["pause", "resume", "skip", "ship-now", "cancel"]:
        response = post(buyer, sub_id, action)
        assert response.status_code == 409 and response.json()["error"]["code"] == "subscription_cancelled"
    patch = buyer.patch(f"/api/v1/subscriptions/{sub_id}/", {"quantity": 2}, format="json")
    assert patch.status_code == 409
    assert OutboxEvent.objects.get(name="UserSubscriptionCancelled").payload["reason"] == "too_much_product"


def test_a_minimum_number_of_cycles_holds_cancellation(plans):
    plan = make_plan("FLOW-RED", "month", 1, 20, min_cycles=3)
    buyer = register()
    sub_id = subscribe(buyer, plan)["id"]
    response = post(buyer, sub_id, "cancel")
    assert response.status_code == 409 and response.json()["error"]["code"] == "minimum_cycles"


def test_a_declined_first_order_ends_the_subscription(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"], payment_method="pm_card_chargeDeclined")["id"]
    sub = Subscription.objects.get(pk=sub_id)
    assert (sub.status, sub.cancellation_reason) == ("cancelled", "payment_failed")
    assert Order.objects.get().cancellation_reason == "payment_failed"
