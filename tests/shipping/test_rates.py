from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from flowmart.common.money import Money
from flowmart.shipping import selectors, services
from flowmart.shipping.carriers import get_carrier
from flowmart.shipping.models import Rate, RateRevision, ShippingMethod, Zone
from tests.shipping.conftest import published

pytestmark = pytest.mark.django_db


def usd(amount):
    return Money(Decimal(amount), "USD")


@pytest.mark.parametrize(
    ("country", "grams", "method", "price"),
    [
        ("US", 499, "standard", "4.95"),
        ("US", 500, "standard", "4.95"),  # a band includes its upper bound
        ("US", 501, "standard", "7.95"),
        ("de", 1800, "standard", "14.95"),  # EU zone, case-insensitive country
        ("GB", 4000, "express", "46.95"),
        ("JP", 100, "express", "34.95"),  # rest of world
        ("BR", 20000, "standard", "79.95"),
    ],
)
def test_quote_by_zone_and_weight_band(rate_table, country, grams, method, price):
    assert selectors.quote(ShippingMethod.objects.get(code=method), country, grams) == usd(price)


def test_too_heavy_for_every_band_is_not_quoted(rate_table):
    assert selectors.quote(ShippingMethod.objects.get(code="standard"), "US", 20001) is None
    assert selectors.quote_methods("US", 20001) == []


def test_carrier_adapters_quote_from_the_rate_table(rate_table):
    assert get_carrier("postal").quote("FR", 2500).price == usd("24.95")
    assert get_carrier("postal").quote("FR", 2500).estimated_days == 5
    assert get_carrier("courier").quote("US", 300).price == usd("12.95")
    assert get_carrier("courier").quote("US", 300).estimated_days == 2


def test_inactive_method_is_not_quoted(rate_table):
    services.save_method(code="express", name="Express courier", carrier="courier", estimated_days=2, active=False)
    assert [m.code for m, _ in selectors.quote_methods("US", 300)] == ["standard"]
    assert get_carrier("courier").quote("US", 300) is None


def test_demo_command_publishes_the_whole_table_flattened_per_country(rate_table):
    [event] = published("ShippingRatesPublished")
    assert event["revision"] == 1
    methods = {m["code"]: m for m in event["methods"]}
    assert set(methods) == {"standard", "express"}
    assert methods["standard"]["carrier"] == "postal" and methods["express"]["carrier"] == "courier"
    rates = {(r["country"], r["max_weight_grams"]): r["price"] for r in methods["standard"]["rates"]}
    assert rates[("US", 500)] == {"amount": "4.95", "currency": "USD"}
    assert rates[("FR", 20000)] == {"amount": "49.95", "currency": "USD"}
    assert rates[("*", 2000)] == {"amount": "24.95", "currency": "USD"}
    # 1 + 27 + 1 countries and "*", four bands each
    assert len(methods["standard"]["rates"]) == 30 * 4


def test_demo_command_is_idempotent(rate_table):
    counts = (Zone.objects.count(), ShippingMethod.objects.count(), Rate.objects.count())
    call_command("demo_shipping", stdout=StringIO())
    assert (Zone.objects.count(), ShippingMethod.objects.count(), Rate.objects.count()) == counts == (4, 2, 32)
    assert RateRevision.objects.get().revision == 1
    assert len(published("ShippingRatesPublished")) == 1


def test_a_rate_change_republishes_the_table_under_a_new_revision(rate_table):
    services.set_rate(method_code="standard", zone_name="UK", max_weight_grams=500, price=usd("7.50"))
    latest = published("ShippingRatesPublished")[-1]
    assert latest["revision"] == 2
    standard = next(m for m in latest["methods"] if m["code"] == "standard")
    assert {"country": "GB", "max_weight_grams": 500, "price": {"amount": "7.50", "currency": "USD"}} in standard[
        "rates"
    ]
    # repricing to the same price is no change: nothing published
    services.set_rate(method_code="standard", zone_name="UK", max_weight_grams=500, price=usd("7.50"))
    assert len(published("ShippingRatesPublished")) == 2


def test_moving_a_country_to_a_new_zone_changes_its_published_rates(rate_table):
    services.save_zone(name="EU", countries=[c for c in Zone.objects.get(name="EU").countries if c != "IE"])
    services.save_zone(name="Ireland", countries=["ie"])
    services.set_rate(method_code="express", zone_name="Ireland", max_weight_grams=2000, price=usd("19.00"))
    latest = published("ShippingRatesPublished")[-1]
    assert latest["revision"] == 4
    express = next(m for m in latest["methods"] if m["code"] == "express")
    assert [r for r in express["rates"] if r["country"] == "IE"] == [
        {"country": "IE", "max_weight_grams": 2000, "price": {"amount": "19.00", "currency": "USD"}}
    ]
    assert selectors.quote(ShippingMethod.objects.get(code="express"), "IE", 600) == usd("19.00")
    assert selectors.quote(ShippingMethod.objects.get(code="standard"), "IE", 600) is None


def test_a_country_cannot_be_in_two_zones(rate_table):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.save_zone(name="Nordics", countries=["SE", "NO"])
    assert not Zone.objects.filter(name="Nordics").exists()


def test_unknown_carrier_is_refused(rate_table):
    from flowmart.common.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        services.save_method(code="drone", name="Drone", carrier="skynet", estimated_days=1)


@pytest.mark.parametrize(
    ("carrier", "says"),
    [("skynet", "known: postal, courier, easypost"), ("easypost", "easypost needs EASYPOST_API_KEY")],
)
def test_the_admin_refuses_a_carrier_no_adapter_can_serve(
    rate_table, client, django_user_model, settings, carrier, says
):
    settings.EASYPOST = {**settings.EASYPOST, "API_KEY": ""}
    client.force_login(django_user_model.objects.create_superuser(email="ops@example.com", password="x"))
    form = {"code": "drone", "name": "Drone", "carrier": carrier, "estimated_days": "1", "active": "on"}
    form |= {"rates-TOTAL_FORMS": "0", "rates-INITIAL_FORMS": "0", "rates-MIN_NUM_FORMS": "0"}
    revisions = len(published("ShippingRatesPublished"))

    response = client.post("/admin/shipping/shippingmethod/add/", form | {"rates-MAX_NUM_FORMS": "1000"})

    assert response.status_code == 200
    assert says in response.content.decode()
    assert not ShippingMethod.objects.filter(code="drone").exists()
    assert len(published("ShippingRatesPublished")) == revisions


def test_admin_change_with_inline_rates_publishes_once(rate_table, client, django_user_model):
    admin = django_user_model.objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(admin)
    method = ShippingMethod.objects.get(code="express")
    rates = list(method.rates.order_by("id"))
    form = {
        "code": "express",
        "name": "Express courier",
        "carrier": "courier",
        "estimated_days": "1",
        "active": "on",
        "rates-TOTAL_FORMS": str(len(rates)),
        "rates-INITIAL_FORMS": str(len(rates)),
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
    }
    for i, rate in enumerate(rates):
        form |= {
            f"rates-{i}-id": str(rate.pk),
            f"rates-{i}-method": str(method.pk),
            f"rates-{i}-zone": str(rate.zone_id),
            f"rates-{i}-max_weight_grams": str(rate.max_weight_grams),
            f"rates-{i}-price_amount": "99.00" if i == 0 else str(rate.price_amount),
            f"rates-{i}-price_currency": rate.price_currency,
        }
    response = client.post(f"/admin/shipping/shippingmethod/{method.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    events = published("ShippingRatesPublished")
    assert [e["revision"] for e in events] == [1, 2]
    express = next(m for m in events[-1]["methods"] if m["code"] == "express")
    assert express["estimated_days"] == 1
    first = rates[0]
    assert {
        "country": "US" if first.zone.name == "domestic-US" else next(iter(sorted(first.zone.countries))),
        "max_weight_grams": first.max_weight_grams,
        "price": {"amount": "99.00", "currency": "USD"},
    } in express["rates"]
