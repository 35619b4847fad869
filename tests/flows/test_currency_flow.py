"""Multi-currency end to end (docs/currency.md): price lists set in the catalogue reach the
orders projection by events; a cart in EUR or JPY is checked out on the dummy provider and on
Stripe (the real SDK against the local fake), and the order, payment, ledger and refund stay in
the cart's currency. Stripe receives zero-decimal amounts in whole units."""

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from flowmart.catalog import services as catalog
from flowmart.catalog.models import Variant
from flowmart.common.money import Money
from flowmart.payments.models import LedgerEntry, Payment
from flowmart.shipping.services import rates
from tests.payments.conftest import fake_stripe, stripe_on  # noqa: F401 - fixtures

from .conftest import ADDRESS_US, ledgers_balance, order, register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def priced(shop):
    """FLOW-RED: 20.00 USD / 18.50 EUR / ¥3000; FLOW-BLUE: 35.00 USD / 32.00 EUR, no yen price.
    Post in EUR (9.00) and JPY (¥1500) for the US."""
    catalog.set_price_list(Variant.objects.get(sku="FLOW-RED"), [Money("18.50", "EUR"), Money("3000", "JPY")])
    catalog.set_price_list(Variant.objects.get(sku="FLOW-BLUE"), [Money("32.00", "EUR")])
    for code, price in [("post-eur", Money("9.00", "EUR")), ("post-jpy", Money("1500", "JPY"))]:
        rates.save_method(code=code, name=f"Post {price.currency}", carrier="postal", estimated_days=5)
        rates.set_rate(method_code=code, zone_name="domestic-US", max_weight_grams=20000, price=price)
    rates.set_rate(method_code="standard", zone_name="domestic-US", max_weight_grams=2000, price=Money("7.00", "EUR"))
    return shop


def cart_in(client, currency: str, lines: dict[str, int]) -> dict:
    response = client.post("/api/v1/carts/", {"currency": currency}, format="json")
    assert response.status_code == 201, response.content
    cart = response.json()
    for sku, quantity in lines.items():
        response = client.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": sku, "quantity": quantity})
        assert response.status_code == 201, response.content
    return client.get(f"/api/v1/carts/{cart['id']}/").json()


def pay(client, cart_id, method: str, provider: str) -> dict:
    body = {
        "cart_id": cart_id,
        "shipping_address": ADDRESS_US,
        "shipping_method": method,
        "payment": {"provider": provider, "payment_method": "pm_card_visa"},
    }
    response = client.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    return order(client, response.json()["order_id"])


def cancel(client, order_id) -> None:
    response = client.post(f"/api/v1/orders/{order_id}/cancel/", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 200, response.content


def test_a_euro_cart_is_ordered_paid_and_refunded_in_euros_on_the_dummy_provider(priced):
    buyer = register()
    cart = cart_in(buyer, "EUR", {"FLOW-RED": 2, "FLOW-BLUE": 1})
    assert cart["currency"] == "EUR"
    assert [i["unit_price"] for i in cart["items"]] == [
        {"amount": "18.50", "currency": "EUR"},
        {"amount": "32.00", "currency": "EUR"},
    ]
    assert cart["totals"]["subtotal"] == {"amount": "69.00", "currency": "EUR"}

    placed = pay(buyer, cart["id"], "post-eur", "dummy")

    assert placed["status"] == "paid" and placed["currency"] == "EUR"
    assert placed["totals"]["total"] == {"amount": "78.00", "currency": "EUR"}
    payment = Payment.objects.get(order_id=placed["id"])
    assert (payment.currency, payment.captured_amount) == ("EUR", Decimal("78.000"))
    cancel(buyer, placed["id"])
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("78.000")
    assert set(LedgerEntry.objects.filter(payment=payment).values_list("currency", flat=True)) == {"EUR"}
    assert payment.refunds.get().currency == "EUR"
    ledgers_balance()


def test_a_yen_cart_sends_whole_yen_to_stripe_and_refunds_them(priced, stripe_on):  # noqa: F811
    buyer = register()
    cart = cart_in(buyer, "JPY", {"FLOW-RED": 1})
    assert cart["totals"]["subtotal"] == {"amount": "3000", "currency": "JPY"}

    placed = pay(buyer, cart["id"], "post-jpy", "stripe")

    assert placed["status"] == "paid" and placed["totals"]["total"] == {"amount": "4500", "currency": "JPY"}
    [intent] = stripe_on.charges
    assert (intent["amount"], intent["currency"]) == (4500, "jpy")  # ¥4,500, not 450000
    cancel(buyer, placed["id"])
    [refund] = stripe_on.refunds.values()
    assert (refund["amount"], refund["currency"]) == (4500, "jpy")
    payment = Payment.objects.get(order_id=placed["id"])
    assert (payment.currency, payment.refunded_amount) == ("JPY", Decimal("4500"))
    ledgers_balance()


def test_a_euro_cart_on_stripe_sends_cents(priced, stripe_on):  # noqa: F811
    buyer = register()
    cart = cart_in(buyer, "EUR", {"FLOW-RED": 1})
    placed = pay(buyer, cart["id"], "post-eur", "stripe")
    assert placed["status"] == "paid"
    [intent] = stripe_on.charges
    assert (intent["amount"], intent["currency"]) == (2750, "eur")


def test_a_sku_without_a_price_in_the_carts_currency_cannot_be_added(priced):
    buyer = register()
    cart = cart_in(buyer, "JPY", {"FLOW-RED": 1})
    response = buyer.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-BLUE", "quantity": 1})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_sold_in_currency"
    assert response.json()["error"]["sku"] == "FLOW-BLUE"


def test_a_cart_changes_currency_and_its_lines_are_repriced(priced):
    buyer = register()
    cart = cart_in(buyer, "USD", {"FLOW-RED": 1, "FLOW-BLUE": 1})
    assert cart["totals"]["subtotal"] == {"amount": "55.00", "currency": "USD"}

    to_eur = buyer.patch(f"/api/v1/carts/{cart['id']}/", {"currency": "eur"}, format="json")
    assert to_eur.status_code == 200, to_eur.content
    assert to_eur.json()["totals"]["subtotal"] == {"amount": "50.50", "currency": "EUR"}

    to_jpy = buyer.patch(f"/api/v1/carts/{cart['id']}/", {"currency": "JPY"}, format="json")
    assert to_jpy.status_code == 409
    assert to_jpy.json()["error"]["code"] == "not_sold_in_currency"
    assert to_jpy.json()["error"]["skus"] == ["FLOW-BLUE"]
    assert buyer.get(f"/api/v1/carts/{cart['id']}/").json()["currency"] == "EUR"  # nothing changed


def test_a_currency_the_shop_does_not_sell_in_is_refused(priced):
    buyer = register()
    for response in (
        buyer.post("/api/v1/carts/", {"currency": "GBP"}, format="json"),
        buyer.get("/api/v1/products/?currency=GBP"),
        buyer.get(f"/api/v1/products/{priced.product.pk}/?currency=xx"),
    ):
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "unsupported_currency"
    cart = buyer.post("/api/v1/carts/", {"currency": "USD"}, format="json").json()
    response = buyer.patch(f"/api/v1/carts/{cart['id']}/", {"currency": "CHF"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unsupported_currency"


def test_the_product_api_shows_prices_in_the_asked_currency(priced):
    product_id = priced.product.pk
    detail = register().get(f"/api/v1/products/{product_id}/?currency=EUR").json()
    assert [(v["sku"], v["price"]) for v in detail["variants"]] == [
        ("FLOW-RED", {"amount": "18.50", "currency": "EUR"}),
        ("FLOW-BLUE", {"amount": "32.00", "currency": "EUR"}),
    ]
    in_yen = register().get(f"/api/v1/products/{product_id}/?currency=JPY").json()
    assert [(v["sku"], v["price"]) for v in in_yen["variants"]] == [("FLOW-RED", {"amount": "3000", "currency": "JPY"})]
    listed = register().get("/api/v1/products/?currency=EUR&ordering=price").json()["results"]
    assert [p["price"] for p in listed] == [{"amount": "18.50", "currency": "EUR"}]
    default = register().get("/api/v1/products/").json()["results"]
    assert [p["price"] for p in default] == [{"amount": "20.00", "currency": "USD"}]


def test_a_product_not_sold_in_a_currency_is_left_out_of_its_list(priced):
    catalog.set_price_list(Variant.objects.get(sku="FLOW-RED"), [])
    catalog.set_price_list(Variant.objects.get(sku="FLOW-BLUE"), [Money("32.00", "EUR")])
    client = register()
    assert client.get("/api/v1/products/?currency=JPY").json()["results"] == []
    assert client.get(f"/api/v1/products/{priced.product.pk}/?currency=JPY").json()["variants"] == []
    assert client.get("/api/v1/products/?currency=EUR").json()["results"][0]["price"]["amount"] == "32.00"


def test_amounts_are_displayed_in_the_locale_the_request_names(priced):
    buyer = register()
    cart = cart_in(buyer, "EUR", {"FLOW-RED": 1})
    english = buyer.get(f"/api/v1/carts/{cart['id']}/?locale=en").json()
    german = buyer.get(f"/api/v1/carts/{cart['id']}/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5").json()
    assert english["items"][0]["unit_price"] == {"amount": "18.50", "currency": "EUR", "display": "€18.50"}
    assert german["items"][0]["unit_price"]["display"] == "18,50\xa0€"
    assert german["totals"]["subtotal"]["display"] == "18,50\xa0€"
    yen = buyer.get(f"/api/v1/products/{priced.product.pk}/?currency=JPY&locale=en").json()
    assert yen["variants"][0]["price"]["display"] == "¥3,000"
    listed = buyer.get("/api/v1/products/?currency=EUR", HTTP_ACCEPT_LANGUAGE="de").json()["results"]
    assert listed[0]["price"]["display"] == "18,50\xa0€"  # not the English page from the cache
    assert buyer.get("/api/v1/products/?locale=xx-nope").status_code == 400


def test_one_method_is_quoted_in_each_carts_currency(priced):
    buyer = register()
    cart = cart_in(buyer, "EUR", {"FLOW-RED": 1})
    in_euros = {m["code"]: m["price"] for m in buyer.get("/api/v1/shipping/methods/?country=US").json()}
    assert in_euros["standard"] == {"amount": "7.00", "currency": "EUR"}
    assert "post-jpy" not in in_euros
    assert pay(buyer, cart["id"], "standard", "dummy")["totals"]["total"] == {"amount": "25.50", "currency": "EUR"}
    other = register()
    cart_in(other, "USD", {"FLOW-RED": 1})
    in_dollars = {m["code"]: m["price"] for m in other.get("/api/v1/shipping/methods/?country=US").json()}
    assert in_dollars["standard"] == {"amount": "4.95", "currency": "USD"}


def test_a_guests_cart_currency_follows_them_into_their_account(priced):
    guest = APIClient()
    cart = guest.post("/api/v1/carts/", {"currency": "EUR"}, format="json").json()
    added = guest.post(
        f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 1}, HTTP_X_CART_TOKEN=cart["token"]
    )
    assert added.status_code == 201, added.content
    response = guest.post(
        "/api/v1/auth/register/",
        {"email": f"guest-{uuid.uuid4().hex[:8]}@example.com", "password": "Buyer-pass-123"},
        HTTP_X_CART_TOKEN=cart["token"],
    )
    assert response.status_code == 201, response.content
    guest.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    mine = guest.post("/api/v1/carts/").json()
    assert mine["currency"] == "EUR"
    assert [i["unit_price"] for i in mine["items"]] == [{"amount": "18.50", "currency": "EUR"}]
