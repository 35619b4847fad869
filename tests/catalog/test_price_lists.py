"""Price lists (docs/currency.md): a variant's explicit prices in the shop's other currencies,
kept in the admin (inline on the variant, a bulk screen with CSV import), scoped to a seller's
own SKUs, and published with every price in ProductPublished / VariantPriceChanged."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from flowmart.catalog import services
from flowmart.catalog.models import Variant, VariantPrice
from flowmart.common import display, roles
from flowmart.common.money import Money
from flowmart.contracts.catalog import ProductPublished, VariantPriceChanged, VariantSnapshot
from flowmart.events.models import OutboxEvent

from .factories import CategoryFactory, SellerFactory, make_product, variant
from .test_admin import staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sellers():
    from tests.support.roles import install_roles

    install_roles()
    north, acme = SellerFactory(slug="northwind"), SellerFactory(slug="acme")
    category = CategoryFactory(slug="gear")
    own = make_product("Northwind Tent", seller=north, category=category, variants=[variant("100.00", sku="TENT-1")])
    other = make_product("Acme Speaker", seller=acme, category=category, variants=[variant("50.00", sku="SPK-1")])
    return {"north": north, "own": own, "other": other}


def events(name: str) -> list[dict]:
    return [row.payload for row in OutboxEvent.objects.filter(name=name).order_by("id")]


def test_a_price_list_change_publishes_every_price_of_the_variant(sellers):
    tent = Variant.objects.get(sku="TENT-1")
    services.set_price_list(tent, [Money("92.50", "EUR"), Money("15000", "JPY")])

    [changed] = events("VariantPriceChanged")
    assert changed["old_price"] == changed["new_price"] == {"amount": "100.00", "currency": "USD"}
    assert changed["prices"] == [
        {"amount": "92.50", "currency": "EUR"},
        {"amount": "15000", "currency": "JPY"},
        {"amount": "100.00", "currency": "USD"},
    ]
    snapshot = events("ProductPublished")[-1]["variants"][0]
    assert [p["currency"] for p in snapshot["prices"]] == ["EUR", "JPY", "USD"]


def test_price_list_entries_are_checked(sellers):
    tent = Variant.objects.get(sku="TENT-1")
    for wrong in (Money("10", "GBP"), Money("99", "USD")):
        with pytest.raises(ValidationError):
            services.set_price_list(tent, [wrong])
    assert not VariantPrice.objects.exists()


def test_events_from_before_price_lists_still_read():
    old = {"sku": "A", "name": "A", "price": {"amount": "1.00", "currency": "USD"}, "weight_grams": 1}
    payload = ProductPublished(
        product_id=1,
        product_name="A",
        slug="a",
        seller_id=1,
        seller_slug="s",
        seller_name="S",
        category_slug="c",
        variants=(VariantSnapshot(**{**old, "price": Money("1.00", "USD"), "attributes": {}, "active": True}),),
    ).to_dict()
    del payload["variants"][0]["prices"]
    assert ProductPublished.from_dict(payload).variants[0].prices == ()
    change = VariantPriceChanged(product_id=1, sku="A", old_price=Money("1", "USD"), new_price=Money("2", "USD"))
    data = change.to_dict()
    del data["prices"]
    assert VariantPriceChanged.from_dict(data).prices == ()


def variant_form(tent, entries: list[tuple[str, str]]) -> dict:
    data = {
        "product": tent.product_id,
        "sku": tent.sku,
        "name": tent.name,
        "price_amount": str(tent.price_amount),
        "price_currency": tent.price_currency,
        "weight_grams": tent.weight_grams,
        "attributes": "{}",
        "active": "on",
        "list_prices-TOTAL_FORMS": len(entries),
        "list_prices-INITIAL_FORMS": 0,
        "list_prices-MIN_NUM_FORMS": 0,
        "list_prices-MAX_NUM_FORMS": 1000,
    }
    for n, (currency, amount) in enumerate(entries):
        data.update({f"list_prices-{n}-currency": currency, f"list_prices-{n}-amount": amount})
    return data


def test_seller_staff_keep_their_variants_price_list_inline(client, sellers):
    client.force_login(staff_of(sellers["north"]))
    tent = Variant.objects.get(sku="TENT-1")

    response = client.post(f"/admin/catalog/variant/{tent.pk}/change/", variant_form(tent, [("EUR", "92.50")]))

    assert response.status_code == 302, response.content.decode()[-3000:]
    assert [(p.currency, p.amount) for p in tent.list_prices.all()] == [("EUR", Decimal("92.500"))]
    assert events("VariantPriceChanged")[-1]["prices"][0] == {"amount": "92.50", "currency": "EUR"}
    page = client.get("/admin/catalog/variant/").content.decode()
    assert "€92.50" in page and "$100.00" in page  # the list columns, as people read money
    speaker = Variant.objects.get(sku="SPK-1")
    assert client.get(f"/admin/catalog/variant/{speaker.pk}/change/").status_code in (302, 404)


def test_a_price_list_entry_in_a_currency_the_shop_does_not_sell_is_refused_in_the_admin(client, sellers):
    client.force_login(staff_of(sellers["north"], role=roles.OPERATIONS))
    tent = Variant.objects.get(sku="TENT-1")
    response = client.post(f"/admin/catalog/variant/{tent.pk}/change/", variant_form(tent, [("GBP", "80.00")]))
    assert response.status_code == 200 and not VariantPrice.objects.exists()


def test_price_lists_are_imported_for_the_sellers_own_skus_only(client, sellers):
    client.force_login(staff_of(sellers["north"]))
    upload = SimpleUploadedFile("prices.csv", b"sku,currency,amount\nTENT-1,eur,92.50\nTENT-1,JPY,15000\n")
    page = client.post(
        "/admin/catalog/variantprice/import/", {"import_file": upload, "format": "0", "resource": "0"}
    ).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    hidden.pop("csrfmiddlewaretoken", None)
    assert client.post("/admin/catalog/variantprice/process_import/", hidden).status_code == 302
    tent = Variant.objects.get(sku="TENT-1")
    assert {p.currency: p.amount for p in tent.list_prices.all()} == {"EUR": Decimal("92.5"), "JPY": Decimal("15000")}
    assert events("VariantPriceChanged")  # imported like an admin edit: published

    other = SimpleUploadedFile("prices.csv", b"sku,currency,amount\nSPK-1,EUR,45.00\n")
    page = client.post(
        "/admin/catalog/variantprice/import/", {"import_file": other, "format": "0", "resource": "0"}
    ).content.decode()
    assert "Not a SKU of your sellers" in page and "process_import" not in page


def test_money_is_shown_per_locale_with_babel(settings):
    from django.utils import translation

    assert display.money(Decimal("1724.270"), "EUR") == "€1,724.27"
    assert display.money(Decimal("1500"), "JPY") == "¥1,500"
    assert display.money(Decimal("12.345"), "KWD") == "KWD12.345"
    with translation.override("de"):
        assert display.money(Decimal("12.50"), "EUR") == "12,50\xa0€"
