"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring."""

from flowmart.contracts.inventory import InventoryAdjusted
from flowmart.contracts.orders import OrderConfirmed
from flowmart.contracts.promotions import DealUnitsClaimed, DealUnitsReleased, LightningDealChanged, SkuSalesChanged
from flowmart.contracts.reviews import ProductRatingChanged
from flowmart.events.registry import subscriber_id

from . import promotions, ratings, services


@subscriber_id("catalog.update_availability")
def update_availability(event: InventoryAdjusted) -> None:
    """Every stock change carries the new available level of the SKUs it touched."""
    services.record_stock_levels(event.levels, event.occurred_at)


@subscriber_id("catalog.count_confirmed_order")
def count_confirmed_order(event: OrderConfirmed) -> None:
    """Popularity (auto-suggest ranking, search ties) is what shoppers buy: counted from the
    order event, never from orders' tables."""
    services.record_order((line.sku, line.quantity) for line in event.lines)


@subscriber_id("catalog.keep_rating")
def keep_rating(event: ProductRatingChanged) -> None:
    """Average and count of the product's visible reviews, shown on cards, filtered and ordered by."""
    ratings.record_rating(event.product_id, event.average, event.count, event.revision)


@subscriber_id("catalog.keep_sale_offers")
def keep_sale_offers(event: SkuSalesChanged) -> None:
    promotions.apply_sales(event)


@subscriber_id("catalog.keep_deal")
def keep_deal(event: LightningDealChanged) -> None:
    promotions.apply_deal(event)


@subscriber_id("catalog.keep_deal_claimed")
def keep_deal_claimed(event: DealUnitsClaimed) -> None:
    promotions.apply_claimed(event)


@subscriber_id("catalog.keep_deal_released")
def keep_deal_released(event: DealUnitsReleased) -> None:
    promotions.apply_claimed(event)


SUBSCRIBERS: dict = {
    InventoryAdjusted: [update_availability],
    OrderConfirmed: [count_confirmed_order],
    ProductRatingChanged: [keep_rating],
    SkuSalesChanged: [keep_sale_offers],
    LightningDealChanged: [keep_deal],
    DealUnitsClaimed: [keep_deal_claimed],
    DealUnitsReleased: [keep_deal_released],
}
