"""Changes to the rate table. Every change ends with the whole table published as
ShippingRatesPublished under a new revision, in the same transaction as the change,
so orders' projection can never miss an edit."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from flowmart.common.errors import InvalidRequest
from flowmart.common.money import Money
from flowmart.contracts.shipping import ShippingRatesPublished
from flowmart.events import publish
from flowmart.shipping import selectors
from flowmart.shipping.carriers import refusal
from flowmart.shipping.models import Rate, RateRevision, ShippingMethod, Zone, normalise_countries

COUNTER_PK = 1


def publish_rate_table() -> int:
    """Bump the revision and publish the current table. Returns the new revision."""
    with transaction.atomic():
        RateRevision.objects.bulk_create([RateRevision(pk=COUNTER_PK)], ignore_conflicts=True)
        counter = RateRevision.objects.select_for_update().get(pk=COUNTER_PK)
        counter.revision += 1
        counter.published_at = timezone.now()
        counter.save(update_fields=["revision", "published_at"])
        publish(ShippingRatesPublished(revision=counter.revision, methods=selectors.rate_table_snapshot()))
        return counter.revision


def current_revision() -> int:
    counter = RateRevision.objects.filter(pk=COUNTER_PK).first()
    return counter.revision if counter else 0


def save_method(
    *,
    code: str,
    name: str,
    carrier: str,
    estimated_days: int,
    active: bool = True,
    publish_change: bool = True,
    easypost_carrier: str = "",
    easypost_service: str = "",
) -> tuple[ShippingMethod, bool]:
    """Create or update a method by code. Returns (method, changed). A method served by
    EasyPost names the EasyPost carrier/service to buy (blank: the cheapest offered)."""
    if refused := refusal(carrier):
        raise InvalidRequest(fields={"carrier": [refused]})
    with transaction.atomic():
        method, changed = _upsert(
            ShippingMethod,
            {"code": code},
            name=name,
            carrier=carrier,
            estimated_days=estimated_days,
            active=active,
            easypost_carrier=easypost_carrier,
            easypost_service=easypost_service,
        )
        _publish_if(changed and publish_change)
    return method, changed


def save_zone(*, name: str, countries: Iterable[str], publish_change: bool = True) -> tuple[Zone, bool]:
    with transaction.atomic():
        zone = Zone.objects.filter(name=name).first() or Zone(name=name)
        zone.countries = normalise_countries(list(countries))
        zone.clean()
        zone, changed = _upsert(Zone, {"name": name}, countries=zone.countries)
        _publish_if(changed and publish_change)
    return zone, changed


def set_rate(
    *, method_code: str, zone_name: str, max_weight_grams: int, price: Money, publish_change: bool = True
) -> tuple[Rate, bool]:
    """Price one weight band of a method in a zone in the price's currency (created or repriced;
    the band's prices in other currencies stay)."""
    if max_weight_grams <= 0 or price.amount < 0:
        raise InvalidRequest("A rate needs a positive weight band and a price of zero or more.")
    with transaction.atomic():
        method = ShippingMethod.objects.get(code=method_code)
        zone = Zone.objects.get(name=zone_name)
        rate, changed = _upsert(
            Rate,
            {"method": method, "zone": zone, "max_weight_grams": max_weight_grams, "price_currency": price.currency},
            price_amount=price.amount,
        )
        _publish_if(changed and publish_change)
    return rate, changed


def delete_rate_table_rows(objects: Iterable[models.Model]) -> None:
    """Delete methods, zones or rates (their rates go with them) and publish the table."""
    with transaction.atomic():
        for obj in objects:
            obj.delete()
        publish_rate_table()


def _upsert(model, lookup: dict, **values) -> tuple[models.Model, bool]:
    obj = model.objects.select_for_update().filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True
    changed = [field for field, value in values.items() if getattr(obj, field) != value]
    for field in changed:
        setattr(obj, field, values[field])
    if changed:
        obj.save(update_fields=changed)
    return obj, bool(changed)


def _publish_if(condition: bool) -> None:
    if condition:
        publish_rate_table()
