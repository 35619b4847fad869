"""The rating projection: what reviews last published for a product (ProductRatingChanged),
kept in ProductRating so the product list can show, filter and order by it in the same query
as the rest of a card. Its own module so the catalogue's services stay about the catalogue."""

from decimal import Decimal

from django.db import transaction

from . import cache
from .models import Product, ProductRating


def record_rating(product_id: int, average: Decimal, count: int, revision: int) -> None:
    """Keep the newest revision; an older one arriving late changes nothing. Unknown products
    are ignored (reviews only rates products the catalogue published)."""
    with transaction.atomic():
        if not Product.objects.filter(pk=product_id).exists():
            return
        ProductRating.objects.bulk_create([ProductRating(product_id=product_id)], ignore_conflicts=True)
        updated = ProductRating.objects.filter(product_id=product_id, revision__lt=revision).update(
            average=average if count else None, count=count, revision=revision
        )
        if updated:
            cache.invalidate_on_commit()
