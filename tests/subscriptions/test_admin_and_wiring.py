"""The admin (seller staff see their products' subscriptions, operations pause, resume and
cancel saying why, shown on the subscription, dunning attempts listed), the beat schedule,
the reminder, the catalogue and the demo data."""

import io
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from flowmart.catalog import services as catalog
from flowmart.common import roles
from flowmart.common.money import Money
from flowmart.customers.services import grant_role
from flowmart.events.models import OutboxEvent
from flowmart.subscriptions import tasks
from flowmart.subscriptions.calendar import cycle_at
from flowmart.subscriptions.models import Plan, Renewal, RenewalAttempt, StaffAction, Subscription
from tests.support.roles import install_roles

from .conftest import billing_run, make_plan, next_billing, register, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_sellers(plans, shop):
    install_roles()
    other_seller = catalog.create_seller(slug="other-seller", name="Other Seller")
    catalog.create_product(
        seller=other_seller, category=shop.product.category, name="Other Tea", slug="other-tea",
        variants=[{"sku": "TEA-1", "name": "green", "price": Money("8.00", "USD"), "weight_grams": 100}],
    )  # fmt: skip
    tea_plan = make_plan("TEA-1", "month", 1, 10)
    buyer = register()
    mine = subscribe(buyer, plans["red_monthly"])["id"]
    theirs = subscribe(buyer, tea_plan)["id"]
    return {"mine": mine, "theirs": theirs, "seller": shop.seller}


def seller_staff(seller):
    user = get_user_model().objects.create_user(email="staff@flow-seller.test", password="x", is_staff=True)
    grant_role(user, roles.SELLER_STAFF)
    catalog.add_seller_member(seller, user.id)  # SellerStaffChanged → subscriptions' copy
    return user


def test_seller_staff_see_only_subscriptions_of_their_products(client, two_sellers):
    client.force_login(seller_staff(two_sellers["seller"]))
    page = client.get("/admin/subscriptions/subscription/")
    assert page.status_code == 200
    ids = set(page.context["cl"].result_list.values_list("pk", flat=True))
    assert ids == {two_sellers["mine"]}
    assert client.get(f"/admin/subscriptions/subscription/{two_sellers['theirs']}/change/").status_code == 404
    assert client.get(f"/admin/subscriptions/subscription/{two_sellers['theirs']}/history/").status_code == 404
    assert page.context["cl"].model_admin.get_actions(page.wsgi_request) == {}  # seller staff only look
    plans = client.get("/admin/subscriptions/plan/").context["cl"].result_list
    assert {p.sku for p in plans} == {"FLOW-RED", "FLOW-BLUE"}


def test_operations_pause_and_cancel_from_the_admin_say_why_and_it_shows_on_the_subscription(client, two_sellers):
    client.force_login(get_user_model().objects.create_superuser(email="ops@x.test", password="x"))
    url = "/admin/subscriptions/subscription/"
    mine, theirs = two_sellers["mine"], two_sellers["theirs"]
    asked = client.post(url, {"action": "pause", "_selected_action": [mine]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()  # the page asking why
    assert Subscription.objects.get(pk=mine).status == "active" and not StaffAction.objects.exists()
    no_reason = client.post(url, {"action": "pause", "_selected_action": [mine], "apply": "1", "reason": " "})
    assert no_reason.status_code == 200 and Subscription.objects.get(pk=mine).status == "active"

    client.post(url, {"action": "pause", "_selected_action": [mine], "apply": "1", "reason": "customer on holiday"})
    assert Subscription.objects.get(pk=mine).status == "paused"
    client.post(url, {"action": "resume", "_selected_action": [mine], "apply": "1", "reason": "back home"})
    assert Subscription.objects.get(pk=mine).status == "active"
    form = {"action": "cancel", "_selected_action": [mine, theirs], "apply": "1", "reason": "chargeback fraud"}
    client.post(url, form)
    cancelled = Subscription.objects.filter(status="cancelled", cancellation_reason="operations")
    assert cancelled.count() == 2
    assert OutboxEvent.objects.filter(name="UserSubscriptionCancelled").count() == 2

    actions = list(
        StaffAction.objects.filter(subscription_id=mine).order_by("id").values_list("kind", "staff", "reason")
    )
    assert actions == [
        ("pause", "ops@x.test", "customer on holiday"),
        ("resume", "ops@x.test", "back home"),
        ("cancel", "ops@x.test", "chargeback fraud"),
    ]
    client.post(url, {"action": "pause", "_selected_action": [theirs], "apply": "1", "reason": "too late"})
    assert StaffAction.objects.filter(subscription_id=theirs).count() == 1  # a refused action records nothing
    page = client.get(f"{url}{mine}/change/").content.decode()
    assert "customer on holiday" in page and "chargeback fraud" in page and "ops@x.test" in page


def test_seller_staff_cannot_act_on_subscriptions_nor_see_who_did(client, two_sellers):
    client.force_login(seller_staff(two_sellers["seller"]))
    url = "/admin/subscriptions/subscription/"
    client.post(url, {"action": "cancel", "_selected_action": [two_sellers["mine"]], "apply": "1", "reason": "x"})
    assert Subscription.objects.get(pk=two_sellers["mine"]).status == "active"
    assert not StaffAction.objects.exists()
    page = client.get(f"{url}{two_sellers['mine']}/change/")
    assert page.status_code == 200 and "staff actions" not in page.content.decode()


def test_dunning_attempts_are_listed_in_the_admin(client, plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    buyer.patch(f"/api/v1/subscriptions/{sub_id}/", {"payment": {"provider": "dummy",
                "payment_method": "pm_card_chargeDeclined"}}, format="json")  # fmt: skip
    due = next_billing(sub_id)
    billing_run(due)
    billing_run(due + timedelta(days=1))
    client.force_login(get_user_model().objects.create_superuser(email="ops@x.test", password="x"))
    page = client.get("/admin/subscriptions/renewalattempt/")
    rows = page.context["cl"].result_list
    assert [(a.number, a.status, a.failure_code) for a in rows.filter(renewal__cycle=2).order_by("number")] == [
        (1, "failed", "card_declined"), (2, "failed", "card_declined"),
    ]  # fmt: skip
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    detail = client.get(f"/admin/subscriptions/renewal/{renewal.pk}/change/")
    assert detail.status_code == 200 and b"card_declined" in detail.content
    assert RenewalAttempt.objects.filter(renewal=renewal).count() == 2


def test_plans_are_made_in_the_admin_from_a_known_sku(client, plans):
    client.force_login(get_user_model().objects.create_superuser(email="ops@x.test", password="x"))
    form = {"name": "Blue weekly", "sku": "FLOW-BLUE", "interval": "week", "interval_count": 1,
            "discount_percent": 7, "min_cycles": "", "active": "on"}  # fmt: skip
    assert client.post("/admin/subscriptions/plan/add/", form).status_code == 302
    assert Plan.objects.get(name="Blue weekly").product_id == plans["blue_monthly"].product_id
    bad = client.post("/admin/subscriptions/plan/add/", {**form, "name": "x", "sku": "NOPE"})
    assert bad.status_code == 200 and not Plan.objects.filter(name="x").exists()


def test_the_billing_run_is_on_the_beat_schedule_every_five_minutes_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["subscriptions-billing-run"]
    assert entry == {"task": "flowmart.subscriptions.tasks.billing_run", "schedule": 300.0}
    assert tasks.billing_run.name == entry["task"]


def test_the_beat_task_bills_what_is_due_now(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"])["id"]
    sub = Subscription.objects.get(pk=sub_id)
    sub.anchor_at -= timedelta(days=32)  # as if it had started a month ago: cycle 2 is due now
    sub.next_billing_at = cycle_at(sub, 2)
    sub.save()
    assert tasks.billing_run()["renewals"] == 1
    assert tasks.billing_run()["renewals"] == 0


def test_a_reminder_goes_out_once_before_each_renewal(plans):
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"], quantity=2)["id"]
    due = next_billing(sub_id)
    assert "0 reminded" in billing_run(due - timedelta(days=4))
    assert "1 reminded" in billing_run(due - timedelta(days=2))
    assert "0 reminded" in billing_run(due - timedelta(days=1))
    upcoming = OutboxEvent.objects.get(name="SubscriptionRenewalUpcoming").payload
    assert upcoming["amount"] == {"amount": "36.00", "currency": "USD"} and upcoming["subscription_id"] == sub_id


def test_the_events_catalogue_shows_the_subscriptions_wiring():
    out = io.StringIO()
    call_command("events", "--json", stdout=out)
    rows = {row["name"]: row for row in json.loads(out.getvalue())}
    assert "subscriptions.on_renewal_payment" in rows["PaymentProcessed"]["subscribers"]
    assert "orders.on_renewal_due" in rows["SubscriptionRenewalDue"]["subscribers"]
    assert rows["SubscriptionRenewalDue"]["version"] == 2
    assert "payments.save_method_for_renewals" in rows["UserSubscriptionStarted"]["subscribers"]
    assert "payments.save_changed_method" in rows["SubscriptionChanged"]["subscribers"]
    assert "orders.on_subscription_cancelled" in rows["UserSubscriptionCancelled"]["subscribers"]
    assert rows["RenewalLinesLeftOut"]["subscribers"] == ["subscriptions.on_renewal_lines_left_out"]
    assert rows["RenewalLinesLeftOut"]["publisher"] == "orders"


def test_demo_data_has_plans_on_several_products(transactional_db):
    call_command("demo_data", stdout=io.StringIO())
    call_command("demo_subscriptions", stdout=io.StringIO())  # again: nothing new
    products = set(Plan.objects.values_list("product_id", flat=True))
    assert len(products) >= 3 and Plan.objects.count() == 2 * len(products)
