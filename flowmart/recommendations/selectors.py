"""Reads: both are one indexed top-N query, whatever the number of orders counted."""

import math

from django.db.models import F
from django.utils import timezone

from flowmart.common.money import Money

from .models import CoPurchase, Product
from .trend import log_weight


def product_known(product_id: int) -> bool:
    return Product.objects.filter(product_id=product_id).exists()


def bought_together(product_id: int, limit: int) -> list[dict]:
    """Available products most often in the same paid order as this one; score = orders together."""
    rows = (
        CoPurchase.objects.filter(product_id=product_id, other__available=True)
        .select_related("other")
        .order_by("-count", "other_id")[:limit]
    )
    return [_card(row.other, row.count) for row in rows]


def trending(limit: int) -> list[dict]:
    """Available products by time-decayed units sold; score = those units as of now
    (each paid unit counts 1 at once, ½ after one half-life, ¼ after two ...)."""
    now = log_weight(timezone.now())
    rows = Product.objects.filter(available=True, trend__isnull=False).order_by(F("trend").desc(), "product_id")
    return [_card(product, round(math.exp(product.trend - now), 4)) for product in rows[:limit]]


def _card(product: Product, score) -> dict:
    price = None
    if product.price_amount is not None:
        price = Money(product.price_amount, product.price_currency).to_dict()
    return {
        "id": product.product_id,
        "name": product.product_name,
        "slug": product.slug,
        "price": price,
        "score": score,
    }
