"""Value objects shared by several contracts."""

from flowmart.events.base import value


@value
class Address:
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    phone: str


@value
class SkuQuantity:
    sku: str
    quantity: int
