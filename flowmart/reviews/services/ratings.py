"""A product's rating (average of its visible reviews, their count), told to the catalogue.

Computed on every change of the product's reviews, never per request: `lock()` takes the
product's summary row first (so concurrent changes take turns and each sees the others'
committed reviews), `refresh()` recounts the product's visible reviews (one indexed
aggregate) and publishes ProductRatingChanged with the next revision if the figures moved."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count

from flowmart.contracts.reviews import ProductRatingChanged
from flowmart.events import publish

from ..models import RatingSummary, Review

CENT = Decimal("0.01")


def lock(product_id: int) -> RatingSummary:
    RatingSummary.objects.bulk_create([RatingSummary(product_id=product_id)], ignore_conflicts=True)
    return RatingSummary.objects.select_for_update().get(product_id=product_id)


def refresh(product_id: int) -> RatingSummary:
    summary = lock(product_id)
    figures = Review.objects.filter(product_id=product_id, status=Review.Status.VISIBLE).aggregate(
        average=Avg("rating"), count=Count("id")
    )
    average = Decimal(figures["average"] or 0).quantize(CENT, rounding=ROUND_HALF_UP)
    if (average, figures["count"]) == (summary.average, summary.count):
        return summary
    summary.average, summary.count, summary.revision = average, figures["count"], summary.revision + 1
    summary.save()
    publish(
        ProductRatingChanged(product_id=product_id, average=average, count=summary.count, revision=summary.revision)
    )
    return summary
