"""Catalogue sales: which SKUs each sale covers, and telling catalog and orders (SkuSalesChanged).

Offers are rules (percent or amount off, window), applied by the readers to their own copy
of the regular price at read time, so a window opens and closes to the second. Overlaps
are settled by the readers too (contracts.promotions.best_sale: the lowest price wins)."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from flowmart.common.money import Money
from flowmart.contracts.promotions import SaleOffer, SkuSalesChanged, offer_to_dict
from flowmart.events import publish

from ..models import CatalogueSku, Sale
from ..models.sales import Schedule


def covered_skus(sale: Sale) -> QuerySet[CatalogueSku]:
    """The SKUs the sale applies to (active or not: a retired SKU simply is never bought)."""
    targets = Q(pk__in=[])
    product_ids = list(sale.products.values_list("pk", flat=True))
    category_slugs = list(sale.categories.values_list("pk", flat=True))
    seller_ids = list(sale.sellers.values_list("pk", flat=True))
    if product_ids:
        targets |= Q(product_id__in=product_ids)
    if category_slugs:
        targets |= Q(product__category_id__in=category_slugs)
    if seller_ids:
        targets |= Q(product__seller_id__in=seller_ids)
    skus = CatalogueSku.objects.all()
    if sale.seller_id is not None:
        skus = skus.filter(product__seller_id=sale.seller_id)
        if not (product_ids or category_slugs or seller_ids):
            return skus  # a seller's sale without targets: all their products
    return skus.filter(targets)


def offer_of(sale: Sale) -> SaleOffer:
    return SaleOffer(
        sale_id=sale.pk,
        sale_name=sale.name,
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        percent_off=sale.percent_off,
        amount_off=None if sale.amount_off is None else Money(sale.amount_off, sale.currency),
    )


def _offers_by_sku(skus: set[str]) -> dict[str, list[SaleOffer]]:
    """Every enabled, not yet ended sale covering each of `skus`."""
    found: dict[str, list[SaleOffer]] = {sku: [] for sku in skus}
    for sale in Sale.objects.filter(enabled=True, ends_at__gt=timezone.now()).order_by("pk"):
        for sku in covered_skus(sale).filter(sku__in=skus).values_list("sku", flat=True):
            found[sku].append(offer_of(sale))
    return found


def publish_offers(skus: Iterable[CatalogueSku] | QuerySet[CatalogueSku]) -> int:
    """Tell the offers of these SKUs where they changed since last told; returns how many."""
    rows = {row.sku: row for row in skus}
    told = 0
    for sku, offers in _offers_by_sku(set(rows)).items():
        stored = [offer_to_dict(o) for o in offers]
        if stored == rows[sku].published_offers:
            continue
        CatalogueSku.objects.filter(pk=sku).update(published_offers=stored)
        publish(SkuSalesChanged(sku=sku, offers=tuple(offers)))
        told += 1
    return told


@transaction.atomic
def sale_changed(sale: Sale, covered_before: set[str]) -> int:
    """After an admin save: re-tell the SKUs the sale covered before and covers now."""
    now = set(covered_skus(sale).values_list("sku", flat=True))
    return publish_offers(CatalogueSku.objects.filter(sku__in=covered_before | now))


@transaction.atomic
def sale_deleted(covered_before: set[str]) -> int:
    return publish_offers(CatalogueSku.objects.filter(sku__in=covered_before))


def close_ended_sales() -> int:
    """Beat: mark sales whose window passed as ended and drop their offers from the readers'
    projections (readers already ignore them: this only keeps the projections small).
    The conditional UPDATE makes a second, simultaneous beat run find nothing to do."""
    closed = 0
    moment = timezone.now()
    Sale.objects.filter(status=Schedule.SCHEDULED, starts_at__lte=moment, ends_at__gt=moment).update(
        status=Schedule.LIVE
    )
    for sale_id in Sale.objects.filter(ends_at__lte=moment).exclude(status=Schedule.ENDED).values_list("pk", flat=True):
        with transaction.atomic():
            if Sale.objects.filter(pk=sale_id).exclude(status=Schedule.ENDED).update(status=Schedule.ENDED):
                publish_offers(covered_skus(Sale.objects.get(pk=sale_id)))
                closed += 1
    return closed
