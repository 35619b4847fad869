"""The tax fields added to the API (docs/tax.md): cart, checkout answer, order and amendment,
the channel chosen with the cart, the region of the destination, refunds of a line's tax
share, and the tax rates admin."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from flowmart.contracts.common import Address
from flowmart.contracts.customers import CustomerAddressSaved
from flowmart.contracts.shipping import ReturnedLine, ReturnReceived, ShipmentDelivered
from flowmart.orders.models import Order, TaxRate
from flowmart.orders.services.staff import line_refund

from .conftest import US_ADDRESS, checkout_body, payment, reserved
from .test_saga import created, dispatched, published

pytestmark = pytest.mark.django_db

CA_ADDRESS = {**US_ADDRESS, "city": "San Francisco", "postal_code": "94103", "region": "CA"}


@pytest.fixture
def tax_rates():
    TaxRate.objects.create(country="US", region="CA", rate=Decimal("0.0725"), name="CA sales tax")
    TaxRate.objects.create(country="US", region="CA", tax_class="reduced", rate=Decimal("0"), name="CA exempt")
    TaxRate.objects.create(country="DE", rate=Decimal("0.19"), name="MwSt 19%")
    TaxRate.objects.create(country="DE", tax_class="reduced", rate=Decimal("0.07"), name="MwSt 7%")


@pytest.fixture
def books(catalog_sku, stock):
    catalog_sku("BOOK-1", "10.70", weight=300, seller_id=4, tax_class="reduced")
    stock(**{"BOOK-1": 50})


def open_cart(client, **body):
    return client.post("/api/v1/carts/", body, format="json")


def fill(client, items, **cart):
    cart_id = open_cart(client, **cart).json()["id"]
    for sku, quantity in items.items():
        assert client.post(f"/api/v1/carts/{cart_id}/items/", {"sku": sku, "quantity": quantity}).status_code == 201
    return cart_id


def checkout(client, cart_id, address, key):
    body = checkout_body(cart_id, address=address)
    return client.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_cart_shows_tax_per_line_and_per_rate_for_its_region(customer, shop, books, tax_rates):
    cart_id = fill(customer, {"MUG-1": 2, "BOOK-1": 1})
    body = customer.patch(
        f"/api/v1/carts/{cart_id}/",
        {"shipping_country": "us", "shipping_method": "standard", "shipping_region": "us-ca"},
        format="json",
    ).json()
    assert (body["shipping_region"], body["channel"], body["prices_include_tax"]) == ("CA", "web", False)
    # 25.00 × 0.0725 = 1.8125 → 1.81; the book is exempt in California
    assert [(i["sku"], i["tax"]["amount"], i["tax_rate"]) for i in body["items"]] == [
        ("MUG-1", "1.81", "0.0725"),
        ("BOOK-1", "0.00", "0.0000"),
    ]
    assert body["tax_lines"] == [
        {"name": "CA sales tax", "rate": "0.0725", "amount": {"amount": "1.81", "currency": "USD"}},
        {"name": "CA exempt", "rate": "0.0000", "amount": {"amount": "0.00", "currency": "USD"}},
    ]
    assert (body["totals"]["tax"]["amount"], body["totals"]["total"]["amount"]) == ("1.81", "42.51")  # + 5.00
    # Another state without a rate of its own (and no US-wide row): no tax.
    other = customer.patch(
        f"/api/v1/carts/{cart_id}/",
        {"shipping_country": "US", "shipping_method": "standard", "shipping_region": "NY"},
        format="json",
    ).json()
    assert other["totals"]["tax"]["amount"] == "0.00" and other["tax_lines"] == []


def test_a_tax_inclusive_channel_extracts_the_tax_and_the_order_keeps_it(customer, shop, books, tax_rates):
    assert open_cart(customer, channel="nowhere").status_code == 400
    cart_id = fill(customer, {"MUG-1": 2, "BOOK-1": 1}, channel="web-gross")
    answer = checkout(customer, cart_id, {**US_ADDRESS, "country": "DE"}, "gross-1")
    assert answer.status_code == 201
    body = answer.json()
    # Gross prices: 25.00 × 0.19 / 1.19 = 3.99; 10.70 × 0.07 / 1.07 = 0.70; total = 35.70 + 12.00 shipping
    assert body["channel"] == "web-gross" and body["prices_include_tax"] is True
    assert {k: v["amount"] for k, v in body["totals"].items()} == {
        "subtotal": "35.70",
        "shipping": "12.00",
        "discount": "0.00",
        "tax": "4.69",
        "total": "47.70",
    }
    assert [(t["name"], t["amount"]["amount"]) for t in body["tax_lines"]] == [
        ("MwSt 19%", "3.99"),
        ("MwSt 7%", "0.70"),
    ]
    order = customer.get(f"/api/v1/orders/{body['order_id']}/").json()
    assert [(ln["sku"], ln["tax"]["amount"], ln["tax_rate"], ln["tax_class"]) for ln in order["lines"]] == [
        ("MUG-1", "3.99", "0.1900", "standard"),
        ("BOOK-1", "0.70", "0.0700", "reduced"),
    ]
    assert order["tax_lines"] == body["tax_lines"] and order["prices_include_tax"] is True
    confirmed = published("OrderConfirmed", order_id=body["order_id"])[0]
    assert confirmed["prices_include_tax"] is True and confirmed["lines"][0]["tax_included"] is True
    assert customer.get(f"/api/v1/carts/{fill(customer, {}, channel='web')}/").json()["channel"] == "web"


def test_a_saved_address_brings_its_region_to_the_order(customer, shop, tax_rates, fill_cart, emit):
    emit(CustomerAddressSaved(customer_id=customer.user.id, address_id=55, address=Address(**CA_ADDRESS)))
    body = checkout_body(fill_cart(customer, {"MUG-1": 2}))
    body.pop("shipping_address")
    body["shipping_address_id"] = 55
    answer = customer.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="saved-ca").json()
    order = Order.objects.get(pk=answer["order_id"])
    assert order.shipping_address["region"] == "CA" and order.tax == Decimal("1.81")
    assert answer["tax_lines"][0]["name"] == "CA sales tax"


def test_an_amendment_reprices_tax_per_line(customer, shop, books, tax_rates, emit, place):
    order_id = place(customer, {"MUG-1": 2}, address=CA_ADDRESS)
    emit(reserved(order_id), payment(order_id))
    body = {"lines": [{"sku": "MUG-1", "quantity": 3}, {"sku": "BOOK-1", "quantity": 2}]}
    order = customer.post(f"/api/v1/orders/{order_id}/amend/", body, format="json").json()
    # 37.50 × 0.0725 = 2.71875 → 2.72; books exempt
    assert [(ln["sku"], ln["tax"]["amount"], ln["tax_class"]) for ln in order["lines"]] == [
        ("MUG-1", "2.72", "standard"),
        ("BOOK-1", "0.00", "reduced"),
    ]
    assert order["totals"]["tax"]["amount"] == "2.72"
    assert [t["amount"]["amount"] for t in order["tax_lines"]] == ["2.72", "0.00"]
    amended = published("OrderAmended", order_id=order_id)[0]
    assert [ln["tax"]["amount"] for ln in amended["lines"]] == ["2.72", "0.00"]


@pytest.mark.parametrize(
    ("cart", "refunds"),
    [
        # Net prices: MUG-1 paid 25.00 + 4.75 tax = 29.75; one of two back → 14.88, the other 14.87
        ({}, ["14.88", "14.87"]),
        # Gross prices: MUG-1 paid 25.00 (3.99 tax inside); each of the two → 12.50, its tax share inside
        ({"channel": "web-gross"}, ["12.50", "12.50"]),
    ],
)
def test_returning_a_line_refunds_its_tax_share(customer, shop, tax_rates, emit, cart, refunds):
    cart_id = fill(customer, {"MUG-1": 2, "TEE-1": 1}, **cart)
    order_id = checkout(customer, cart_id, {**US_ADDRESS, "country": "DE"}, "ret").json()["order_id"]
    emit(reserved(order_id), payment(order_id))
    order = Order.objects.get(pk=order_id)
    assert line_refund(order, {"MUG-1": 1}).amount == Decimal(refunds[0])  # the back office's per-line refund
    emit(created(order_id, 801), dispatched(order_id, 801), ShipmentDelivered(shipment_id=801, order_id=order_id))
    for _ in range(2):
        ret = {"lines": [{"sku": "MUG-1", "quantity": 1}], "reason": "broken"}
        return_id = customer.post(f"/api/v1/orders/{order_id}/returns/", ret, format="json").json()["return_id"]
        line = ReturnedLine(sku="MUG-1", quantity=1, warehouse_code="US-EAST")
        emit(ReturnReceived(return_id=return_id, order_id=order_id, lines=(line,)))
    amounts = [r["amount"]["amount"] for r in published("RefundRequested", order_id=order_id)]
    assert amounts == refunds
    mug = order.lines.get(sku="MUG-1")
    paid = mug.unit_price * mug.quantity - mug.discount + (0 if order.prices_include_tax else mug.tax)
    assert sum(Decimal(a) for a in amounts) == paid  # the whole line, tax share included, to the cent


def test_operations_manage_tax_rates_in_the_admin(client, tax_rates):
    admin = get_user_model().objects.create_superuser(email="ops-tax@example.com", password="S3cure-pass-123")
    client.force_login(admin)
    page = client.get("/admin/orders/taxrate/").content.decode()
    assert "CA sales tax" in page and "7.25 %" in page
    form = {"country": "ca", "region": "on", "tax_class": "standard", "rate": "0.13", "name": "HST"}
    assert client.post("/admin/orders/taxrate/add/", form).status_code == 302
    assert TaxRate.objects.filter(country="CA", region="ON", rate=Decimal("0.13")).exists()
    again = client.post("/admin/orders/taxrate/add/", form)  # one rate per place and class
    assert again.status_code == 200 and TaxRate.objects.filter(country="CA").count() == 1
    bad = client.post("/admin/orders/taxrate/add/", {**form, "country": "XX", "region": ""})
    assert bad.status_code == 200 and not TaxRate.objects.filter(country="XX").exists()


def test_a_grouped_renewal_is_taxed_per_line_for_its_region(shop, books, tax_rates, emit):
    from flowmart.contracts.subscriptions import SubscriptionRenewalDue

    from .test_renewals import line

    emit(
        SubscriptionRenewalDue(
            renewal_key="subs-tax-1",
            customer_id=5,
            customer_email="sub@example.com",
            lines=(line(77, sku="MUG-1", quantity=2, discount=10), line(78, sku="BOOK-1", quantity=1, discount=0)),
            shipping_address=Address(**CA_ADDRESS),
            shipping_method="standard",
            provider="dummy",
            payment_method="pm_card_visa",
        )
    )
    order = Order.objects.get(renewal_key="subs-tax-1")
    lines = {row.sku: row for row in order.lines.all()}
    # MUG-1: 25.00 - 10 % = 22.50 × 0.0725 = 1.63125 → 1.63; the book is exempt in California
    assert (lines["MUG-1"].tax, lines["MUG-1"].tax_name) == (Decimal("1.63"), "CA sales tax")
    assert (lines["BOOK-1"].tax, lines["BOOK-1"].tax_class) == (Decimal("0.00"), "reduced")
    assert order.tax == Decimal("1.63") and order.total == order.subtotal - order.discount + order.tax + order.shipping
    assert order.channel == "web" and not order.prices_include_tax  # renewals sell in the default channel


def test_the_order_page_shows_its_channel_and_tax_per_rate(client, customer, shop, books, tax_rates, place):
    order_id = place(customer, {"MUG-1": 2, "BOOK-1": 1}, address={**US_ADDRESS, "country": "DE"})
    admin = get_user_model().objects.create_superuser(email="ops-order-tax@example.com", password="S3cure-pass-123")
    client.force_login(admin)
    page = client.get(f"/admin/orders/order/{order_id}/change/").content.decode()
    assert "MwSt 19% (19.00 %): $4.75" in page and "MwSt 7% (7.00 %): $0.75" in page


def test_amending_a_tax_inclusive_order_keeps_tax_inside_the_total(customer, shop, books, tax_rates, emit):
    cart_id = fill(customer, {"MUG-1": 2}, channel="web-gross")
    order_id = checkout(customer, cart_id, {**US_ADDRESS, "country": "DE"}, "gross-amend").json()["order_id"]
    emit(reserved(order_id), payment(order_id))
    body = {"lines": [{"sku": "MUG-1", "quantity": 2}, {"sku": "BOOK-1", "quantity": 1}]}
    order = customer.post(f"/api/v1/orders/{order_id}/amend/", body, format="json").json()
    # 25.00 gross (3.99 tax inside) + 10.70 gross (0.70 inside) + 12.00 shipping: the total is the gross sum
    totals = {k: v["amount"] for k, v in order["totals"].items()}
    assert (totals["tax"], totals["total"]) == ("4.69", "47.70")
    amended = published("OrderAmended", order_id=order_id)[0]
    assert amended["new_total"]["amount"] == "47.70" and all(ln["tax_included"] for ln in amended["lines"])
