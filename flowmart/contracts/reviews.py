"""Reviews events: Verified-purchase reviews, seller replies, moderation, and the ratings the catalogue shows."""

from decimal import Decimal

from flowmart.events.base import Event, event


@event
class ProductRatingChanged(Event):
    """A product's visible reviews changed (written, edited, hidden, unhidden): the catalogue
    shows `average` (two decimals; 0.00 with `count` 0) and `count` on its cards. Sent whole;
    `revision` grows by one per change of the product, so a late, older event is recognised."""

    product_id: int
    average: Decimal
    count: int
    revision: int
