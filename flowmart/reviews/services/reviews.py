"""Writing reviews: a verified buyer's review (once per product), its edits, reports, and the
seller's one reply. Each command is one transaction; a change to what the catalogue shows
(rating average and count) publishes ProductRatingChanged in that same transaction."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from flowmart.common.errors import Conflict, Forbidden

from .. import selectors
from ..models import CatalogProduct, Review
from . import ratings


class NotVerifiedPurchase(Forbidden):
    default_code = "purchase_not_verified"
    default_detail = "Only customers who received this product may review it."


def write(*, product_id: int, customer_id: int, rating: int, title: str, text: str) -> Review:
    """A new review by a customer with a delivered order line of the product."""
    if not selectors.has_delivered_purchase(customer_id, product_id):
        raise NotVerifiedPurchase()
    with transaction.atomic():
        ratings.lock(product_id)
        if Review.objects.filter(product_id=product_id, customer_id=customer_id).exists():
            raise Conflict("You have already reviewed this product; edit that review instead.")
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    product_id=product_id, customer_id=customer_id, rating=rating, title=title, text=text
                )
        except IntegrityError:
            raise Conflict("You have already reviewed this product; edit that review instead.") from None
        ratings.refresh(product_id)
    return review


def edit(review: Review, **changes) -> Review:
    """The author's edit (rating, title, text): back into the moderation queue."""
    with transaction.atomic():
        ratings.lock(review.product_id)
        review = Review.objects.select_for_update().get(pk=review.pk)
        for field in ("rating", "title", "text"):
            if field in changes:
                setattr(review, field, changes[field])
        review.updated_at = timezone.now()
        review.needs_moderation = True
        review.save()
        ratings.refresh(review.product_id)
    return review


def report(review: Review, reason: str) -> None:
    """A shopper flags a review: it goes (back) into the moderation queue."""
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        review.reports += 1
        review.last_report_reason = reason
        review.needs_moderation = True
        review.save(update_fields=["reports", "last_report_reason", "needs_moderation"])


def reply(review: Review, *, text: str, user_id: int) -> Review:
    """The seller's one public answer: a second one is a conflict, not an overwrite."""
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.replied_at is not None:
            raise Conflict("This review already has the seller's reply.")
        review.reply_text, review.replied_at, review.replied_by = text, timezone.now(), user_id
        review.save(update_fields=["reply_text", "replied_at", "replied_by"])
    return review


def seller_of(review: Review) -> int | None:
    return CatalogProduct.objects.filter(product_id=review.product_id).values_list("seller_id", flat=True).first()
