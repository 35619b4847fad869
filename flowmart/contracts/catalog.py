"""Catalogue events: orders and subscriptions keep their own projections of
sellable variants and prices from these."""

from flowmart.common.money import Money
from flowmart.events.base import Event, event, value

# A product's tax class: which of a destination's rates applies to it (orders' TaxRate rows).
STANDARD_TAX_CLASS = "standard"
TAX_CLASSES = (("standard", "Standard rate"), ("reduced", "Reduced rate"), ("zero", "Zero rate"))


@value
class VariantSnapshot:
    sku: str
    name: str  # "Product name — Variant name", ready to show on a cart line
    price: Money
    weight_grams: int
    attributes: dict
    active: bool
    # Every price of the variant, one per currency: `price` (the default) and its price-list
    # entries (docs/currency.md). Empty in payloads from before price lists: `price` only.
    prices: tuple[Money, ...] = ()


@event
class ProductPublished(Event):
    """A product became sellable or changed (sent whole, so it is an upsert)."""

    product_id: int
    # Not `name`: that is the event's own name (Event.name), which a payload field would shadow,
    # sending the event to the subscribers of an event called after the product.
    product_name: str
    slug: str
    seller_id: int
    seller_slug: str
    seller_name: str
    category_slug: str
    variants: tuple[VariantSnapshot, ...]
    tax_class: str = STANDARD_TAX_CLASS  # one of TAX_CLASSES (absent: sent before products had one)


@event
class VariantPriceChanged(Event):
    product_id: int
    sku: str
    old_price: Money
    new_price: Money
    # All the variant's prices after the change (default and price lists, one per currency);
    # sent when only a price-list entry changed too (then old_price == new_price). Empty in
    # payloads from before price lists.
    prices: tuple[Money, ...] = ()


@event
class ProductRetired(Event):
    """The product and all its variants are no longer sellable."""

    product_id: int
    skus: tuple[str, ...]


@event
class SellerStaffChanged(Event):
    """The sellers a staff user works for, sent whole (an upsert; empty: none any more).
    Contexts that scope staff screens or staff endpoints to a seller keep a copy
    (flowmart.common.roles.SellerStaffBase) and never read the catalogue's tables."""

    user_id: int
    seller_ids: tuple[int, ...]


@event
class SellerChanged(Event):
    """A seller was created or its details changed (sent whole, an upsert). Notifications
    sends the seller's stock digests to `contact_email` ("" when none is on file)."""

    seller_id: int
    slug: str
    seller_name: str
    contact_email: str = ""
