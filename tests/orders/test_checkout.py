"""POST /checkout/: validation, the order it writes, the events it publishes, idempotency."""

import logging
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flowmart.events.models import OutboxEvent
from flowmart.orders.models import CartItem, IdempotencyKey, Order

from .conftest import ADDRESS, US_ADDRESS, checkout_body

pytestmark = pytest.mark.django_db


def post_checkout(client, body, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/api/v1/checkout/", body, format="json", **headers)


def test_with_workers_the_answer_is_the_order_as_committed_without_reading_it_back(customer, shop, fill_cart, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the saga moves the order later, in a worker
    cart_id = fill_cart(customer, {"MUG-1": 1})
    with CaptureQueriesContext(connection) as queries:
        response = post_checkout(customer, checkout_body(cart_id))

    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("status", "next_action")} == {"status": "pending", "next_action": None}
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and "next_action" in q["sql"]]
    assert reads == []
    replay = post_checkout(customer, checkout_body(cart_id))  # a replay still reads where the order stands
    assert replay.status_code == 201 and replay.json()["order_id"] == response.json()["order_id"]


def test_checkout_snapshots_the_cart_into_a_pending_order_and_starts_the_saga(customer, shop, fill_cart):
    cart_id = fill_cart(customer, {"MUG-1": 2, "TEE-1": 1})
    response = post_checkout(customer, checkout_body(cart_id))
    assert response.status_code == 201
    order_id = response.json()["order_id"]
    body = response.json()
    # API.md's fields, exactly; the tax fields docs/tax.md adds are checked in tests/orders/test_tax_api.py.
    assert {k: body[k] for k in ("order_id", "status", "next_action")} == {
        "order_id": order_id,
        "status": "pending",
        "next_action": None,
    }
    assert set(body) - {"order_id", "status", "next_action"} == {"totals", "tax_lines", "channel", "prices_include_tax"}

    order = customer.get(f"/api/v1/orders/{order_id}/").json()
    assert order["number"] == f"FM-{order_id:08d}"
    assert order["status"] == "pending" and order["cancellation_reason"] is None
    assert order["payment_status"] == "pending"
    assert order["shipping_method"] == "standard"
    assert order["shipping_address"] == {**ADDRESS, "region": ""}
    assert [(ln["sku"], ln["quantity"], ln["unit_price"]["amount"], ln["seller"]["id"]) for ln in order["lines"]] == [
        ("MUG-1", 2, "12.50", 1),
        ("TEE-1", 1, "20.00", 2),
    ]
    # 45.00 goods, 1000 g to DE: standard "*" band 12.00; DE VAT 19 % of goods = 8.55
    assert {k: v["amount"] for k, v in order["totals"].items()} == {
        "subtotal": "45.00",
        "shipping": "12.00",
        "discount": "0.00",
        "tax": "8.55",
        "total": "65.55",
    }
    assert order["timeline"][0]["event"] == "pending: order placed"
    assert customer.get(f"/api/v1/carts/{cart_id}/").json()["items"] == []

    confirmed, initiated = (OutboxEvent.objects.get(name=n).payload for n in ("OrderConfirmed", "PaymentInitiated"))
    assert confirmed["order_id"] == order_id and confirmed["shipping_method"] == "standard"
    assert [(ln["sku"], ln["quantity"], ln["seller_id"]) for ln in confirmed["lines"]] == [
        ("MUG-1", 2, 1),
        ("TEE-1", 1, 2),
    ]
    assert confirmed["total"] == {"amount": "65.55", "currency": "USD"}
    assert initiated["amount"] == {"amount": "65.55", "currency": "USD"}
    assert initiated["provider"] == "dummy" and initiated["payment_method"] == "pm_card_visa"
    assert initiated["shipping_country"] == "DE" and initiated["item_count"] == 3
    assert initiated["customer_email"] == customer.user.email and initiated["customer_since"]


def test_checkout_charges_the_current_price(customer, shop, fill_cart, catalog_sku):
    cart_id = fill_cart(customer, {"TEE-1": 1})
    catalog_sku("TEE-1", "22.00", weight=200, seller_id=2)  # re-published at a new price
    order_id = post_checkout(customer, checkout_body(cart_id, address=US_ADDRESS)).json()["order_id"]
    assert Order.objects.get(pk=order_id).subtotal == 22


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda b: b["shipping_address"].pop("city"), "shipping_address"),
        (lambda b: b["shipping_address"].update(country="XX"), "shipping_address"),
        (lambda b: b.update(shipping_method="teleport"), "shipping_method"),
        (lambda b: b.update(shipping_method="express"), "shipping_method"),  # express does not go to FR
        (lambda b: b["payment"].update(provider="paypal"), "payment"),
        (lambda b: b["payment"].update(provider="stripe"), "payment"),  # no STRIPE_SECRET_KEY here
        (lambda b: b["payment"].update(payment_method="visa"), "payment"),
        (lambda b: b.pop("shipping_address"), "shipping_address"),
        (lambda b: b.update(shipping_address_id=3), "shipping_address"),  # both at once
        (lambda b: b.pop("shipping_address") and b.update(shipping_address_id=3), "shipping_address_id"),
    ],
)
def test_invalid_checkouts_are_refused_and_change_nothing(customer, shop, fill_cart, change, field):
    cart_id = fill_cart(customer, {"MUG-1": 1})
    body = checkout_body(cart_id, address={**ADDRESS, "country": "FR"})
    change(body)
    response = post_checkout(customer, body)
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["fields"]
    assert not Order.objects.exists() and not IdempotencyKey.objects.exists()
    assert CartItem.objects.count() == 1


def test_empty_cart_is_refused(customer, shop):
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    response = post_checkout(customer, checkout_body(cart_id))
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["cart_id"] == ["The cart is empty."]


def test_a_method_that_cannot_carry_the_carts_weight_is_refused(customer, shop, fill_cart):
    cart_id = fill_cart(customer, {"MUG-1": 30})  # 12 kg; express to the US carries up to 10 kg
    response = post_checkout(customer, checkout_body(cart_id, address=US_ADDRESS, method="express"))
    assert response.status_code == 400
    assert "shipping_method" in response.json()["error"]["fields"]
    assert not Order.objects.exists()


def test_unsellable_sku_in_cart_is_refused(customer, shop, fill_cart, catalog_sku):
    cart_id = fill_cart(customer, {"MUG-1": 1})
    catalog_sku("MUG-1", "12.50", weight=400, seller_id=1, active=False)
    response = post_checkout(customer, checkout_body(cart_id))
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_idempotency_key_is_required_and_bounded(customer, shop, fill_cart):
    cart_id = fill_cart(customer, {"MUG-1": 1})
    for key in (None, "", "k" * 256):
        response = post_checkout(customer, checkout_body(cart_id), key=key)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"
    assert post_checkout(customer, checkout_body(cart_id), key="k" * 255).status_code == 201


def test_same_key_and_body_replays_the_first_response(customer, shop, fill_cart):
    cart_id = fill_cart(customer, {"MUG-1": 1})
    first = post_checkout(customer, checkout_body(cart_id), key="abc")
    second = post_checkout(customer, checkout_body(cart_id), key="abc")  # the cart is empty by now
    assert second.status_code == 201
    assert second.json() == first.json()
    assert Order.objects.count() == 1
    assert OutboxEvent.objects.filter(name="OrderConfirmed").count() == 1


def test_same_key_with_another_body_is_422(customer, shop, fill_cart):
    cart_id = fill_cart(customer, {"MUG-1": 1})
    post_checkout(customer, checkout_body(cart_id), key="abc")
    response = post_checkout(customer, checkout_body(cart_id, method="express"), key="abc")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_keys_belong_to_one_customer(make_customer, shop, fill_cart):
    alice, bob = make_customer(), make_customer()
    for client in (alice, bob):
        assert post_checkout(client, checkout_body(fill_cart(client, {"MUG-1": 1})), key="same").status_code == 201
    assert Order.objects.count() == 2


def test_a_failed_attempt_does_not_burn_the_key(customer, shop, fill_cart):
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    assert post_checkout(customer, checkout_body(cart_id), key="retry").status_code == 400  # empty cart
    fill_cart(customer, {"MUG-1": 1})
    assert post_checkout(customer, checkout_body(cart_id), key="retry").status_code == 201


def test_another_customers_cart_cannot_be_checked_out(make_customer, shop, fill_cart):
    owner, other = make_customer(), make_customer()
    cart_id = fill_cart(owner, {"MUG-1": 1})
    response = post_checkout(other, checkout_body(cart_id))
    assert response.status_code == 404
    assert not Order.objects.exists()


@pytest.mark.parametrize("card", ["4242424242424242", "4242 4242 4242 4242", "4000-0566-5566-5556", "378282246310005"])
def test_card_numbers_are_refused_and_never_stored_or_logged(customer, shop, fill_cart, caplog, card):
    cart_id = fill_cart(customer, {"MUG-1": 1})
    caplog.set_level(logging.DEBUG)
    response = post_checkout(customer, checkout_body(cart_id, payment_method=card))
    assert response.status_code == 400
    assert "payment" in response.json()["error"]["fields"]
    assert card not in response.content.decode()
    digits = card.replace(" ", "").replace("-", "")
    assert card not in caplog.text and digits not in caplog.text
    assert not IdempotencyKey.objects.exists() and not Order.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload::text FROM events_outboxevent")
        assert all(digits not in row[0] and card not in row[0] for row in cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_with_one_key_make_one_order(customer, shop, fill_cart):
    cart_id = fill_cart(customer, {"MUG-1": 1, "TEE-1": 2})
    body = checkout_body(cart_id)
    barrier, results = threading.Barrier(4), []

    def attempt():
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {customer.token}")
        try:
            barrier.wait()
            response = post_checkout(client, body, key="parallel")
            results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Order.objects.count() == 1
    order_id = Order.objects.get().pk
    assert [status for status, _ in results] == [201] * 4
    assert {body["order_id"] for _, body in results} == {order_id}
    assert OutboxEvent.objects.filter(name="OrderConfirmed").count() == 1


def test_a_saved_address_is_used_from_the_address_book_projection(make_customer, shop, fill_cart, emit):
    from flowmart.contracts.common import Address
    from flowmart.contracts.customers import CustomerAddressDeleted, CustomerAddressSaved

    owner, other = make_customer(), make_customer()
    emit(CustomerAddressSaved(customer_id=owner.user.id, address_id=41, address=Address(**US_ADDRESS)))
    body = checkout_body(fill_cart(owner, {"MUG-1": 1}))
    body.pop("shipping_address")
    body["shipping_address_id"] = 41
    other_body = {**checkout_body(fill_cart(other, {"MUG-1": 1})), "shipping_address_id": 41}
    other_body.pop("shipping_address")
    assert post_checkout(other, other_body).status_code == 400  # not theirs
    order_id = post_checkout(owner, body).json()["order_id"]
    assert Order.objects.get(pk=order_id).shipping_address == {**US_ADDRESS, "region": ""}
    emit(CustomerAddressDeleted(customer_id=owner.user.id, address_id=41))
    body["cart_id"] = fill_cart(owner, {"MUG-1": 1})  # the first cart became the order
    assert post_checkout(owner, body, key="after-delete").status_code == 400


def test_old_idempotency_keys_are_purged(customer, shop, fill_cart):
    from datetime import timedelta

    from django.utils import timezone

    from flowmart.orders.tasks import purge_idempotency_keys

    post_checkout(customer, checkout_body(fill_cart(customer, {"MUG-1": 1})), key="old")
    post_checkout(customer, checkout_body(fill_cart(customer, {"MUG-1": 1})), key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_stripe_is_accepted_once_configured(customer, shop, fill_cart, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_configured"
    response = post_checkout(customer, checkout_body(fill_cart(customer, {"MUG-1": 1}), provider="stripe"))
    assert response.status_code == 201
    assert OutboxEvent.objects.get(name="PaymentInitiated").payload["provider"] == "stripe"


@pytest.mark.parametrize(
    ("provider", "payment_method", "accepted"),
    [
        ("dummy", "pm_card_visa", True),
        ("dummy", "pm_card_radarBlock", True),
        ("dummy", "pm_card_unknownBrand", False),  # the dummy knows only its documented test ids
        ("dummy", "pm_1MqLiJLkdIwHu7ixUEgbFdYF", False),
        ("stripe", "pm_1MqLiJLkdIwHu7ixUEgbFdYF", True),  # a PaymentMethod
        ("stripe", "card_1MvoiELkdIwHu7ixOeFh0S9y", True),  # a Card
        ("stripe", "src_1N3lxdLkdIwHu7ixPHXy8UcI", True),  # a compatible Source
        ("stripe", "pm_card_visa", True),
        ("stripe", "tok_visa", False),
        ("stripe", "pm_", False),
        ("stripe", "pm_abc def", False),
        ("stripe", "pm_4242424242424242", False),  # well-formed, but a card number
    ],
)
def test_payment_method_ids_are_validated_per_provider(settings, provider, payment_method, accepted):
    from flowmart.orders.api.serializers import PaymentSerializer

    settings.STRIPE_SECRET_KEY = "sk_test_validation_only"
    serializer = PaymentSerializer(data={"provider": provider, "payment_method": payment_method})
    assert serializer.is_valid() is accepted, serializer.errors
    if not accepted:
        assert "payment_method" in serializer.errors
        assert "4242424242424242" not in str(serializer.errors)
