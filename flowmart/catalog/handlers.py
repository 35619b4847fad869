"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring."""

from flowmart.contracts.inventory import InventoryAdjusted

from . import services


def update_availability(event: InventoryAdjusted) -> None:
    """Every stock change carries the new available level of the SKUs it touched."""
    services.record_stock_levels(event.levels, event.occurred_at)


SUBSCRIBERS: dict = {InventoryAdjusted: [update_availability]}
