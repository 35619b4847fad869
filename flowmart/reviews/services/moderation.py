"""Moderation by operations staff: look (leave it up), hide with a reason (kept, with who and
when), unhide. Hiding or unhiding changes the product's rating, published in the same transaction."""

from django.db import transaction
from django.utils import timezone

from flowmart.common.errors import InvalidRequest

from ..models import Review
from . import ratings


def _moderated(review: Review, moderator: str, **fields) -> Review:
    with transaction.atomic():
        ratings.lock(review.product_id)
        review = Review.objects.select_for_update().get(pk=review.pk)
        for name, value in fields.items():
            setattr(review, name, value)
        review.needs_moderation, review.moderated_at, review.moderated_by = False, timezone.now(), moderator
        review.save()
        ratings.refresh(review.product_id)
    return review


def approve(review: Review, moderator: str) -> Review:
    """Seen and fine: out of the queue, visibility unchanged."""
    return _moderated(review, moderator)


def hide(review: Review, moderator: str, reason: str) -> Review:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Say why the review is hidden.", fields={"hidden_reason": ["This field is required."]})
    return _moderated(review, moderator, status=Review.Status.HIDDEN, hidden_reason=reason)


def unhide(review: Review, moderator: str) -> Review:
    """Visible again; the reason it was hidden stays on record."""
    return _moderated(review, moderator, status=Review.Status.VISIBLE)
