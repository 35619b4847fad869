"""Cart commands. Every write locks the cart row first, so two requests adding the
same SKU at once end as one line with both quantities (and still within 1..100)."""

import secrets

from django.db import IntegrityError, transaction

from flowmart.common.countries import is_country_code
from flowmart.common.errors import Conflict, InsufficientStock, InvalidRequest

from .. import currencies, pricing, selectors
from ..models import Cart, CartItem, SellableVariant
from ..selectors import Owner

MAX_QUANTITY = 100


def open_cart(owner: Owner | None, currency: str = "") -> tuple[Cart, bool]:
    """The owner's open cart, created if there is none (returns it and whether it is new).
    Without an owner (an anonymous client without a cart token) a guest cart is made, with
    the token that is its key from now on. A new cart is in `currency` (one the shop sells
    in; "" for none chosen); an existing one keeps its own (PATCH changes it)."""
    cart = selectors.open_cart_of(owner)
    if cart is not None:
        return cart, False
    if not isinstance(owner, int):  # a new guest, or a guest token that names no open cart
        return Cart.objects.create(customer_id=None, token=secrets.token_urlsafe(32), currency=currency), True
    try:
        return _new_cart(owner, currency), True
    except IntegrityError:  # a simultaneous request created it first (one_open_cart)
        return selectors.open_cart_of(owner), False


def _new_cart(customer_id: int, currency: str) -> Cart:
    """Insert the customer's open cart. Inside a caller's transaction a savepoint keeps a lost race
    from breaking it; on its own the INSERT is its own transaction (no BEGIN and COMMIT round trips)."""
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return Cart.objects.create(customer_id=customer_id, currency=currency)
    return Cart.objects.create(customer_id=customer_id, currency=currency)


def _writable(owner: Owner, cart_id) -> Cart:
    cart = selectors.cart_of(owner, cart_id, lock=True)
    if cart.status != Cart.Status.OPEN:
        raise Conflict("This cart is closed.")
    return cart


def _sellable(sku: str) -> SellableVariant:
    # By primary key: [:1] rather than first(), whose ORDER BY cost a fifth of the lookup's CPU.
    variant = next(iter(SellableVariant.objects.filter(sku=sku, active=True)[:1]), None)
    if variant is None:
        raise InvalidRequest("This SKU is not for sale.", fields={"sku": [f"Unknown or retired SKU {sku!r}."]})
    return variant


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidRequest(
            "Quantity out of range.", fields={"quantity": [f"Must be between 1 and {MAX_QUANTITY} per line."]}
        )


def check_stock(sku: str, quantity: int) -> int:
    """A line may not hold more than can be sold now (409 insufficient_stock, with how many can).
    Returns the units that can be sold."""
    available = selectors.availability([sku])[sku]
    if quantity > available:
        raise InsufficientStock(
            f"Only {available} of {sku} can be sold right now." if available else f"{sku} is sold out.",
            sku=sku,
            available=available,
        )
    return available


@transaction.atomic
def add_item(owner: Owner, cart_id, sku: str, quantity: int) -> CartItem:
    """Add units of a SKU; an existing line of that SKU grows instead of a second line. The line
    returned carries `available`, the units of its SKU that could be sold when it was checked
    (the answer shows it: orders' projection of stock is not moved by a cart, so no second read)."""
    cart = _writable(owner, cart_id)
    variant = _sellable(sku)
    items = selectors.cart_items(cart)
    currencies.check_can_add(cart, items, variant)
    existing = next((item for item in items if item.variant_id == variant.sku), None)
    if existing is not None:
        _check_quantity(existing.quantity + quantity)
        available = check_stock(variant.sku, existing.quantity + quantity)
        existing.quantity += quantity
        existing.save(update_fields=["quantity"])
        existing.variant, existing.available = variant, available
        return existing
    _check_quantity(quantity)
    available = check_stock(variant.sku, quantity)
    cart.save(update_fields=["updated_at"])
    item = CartItem.objects.create(cart=cart, variant=variant, quantity=quantity)
    item.available = available
    return item


@transaction.atomic
def change_item(owner: Owner, cart_id, item_id, quantity: int) -> CartItem:
    cart = _writable(owner, cart_id)
    _check_quantity(quantity)
    item = _item(cart, item_id)
    if quantity > item.quantity:  # lowering a line that is short is always allowed
        check_stock(item.variant_id, quantity)
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return currencies.quote_items(cart, [item])[0]  # shown in the cart's currency


@transaction.atomic
def remove_item(owner: Owner, cart_id, item_id) -> None:
    cart = _writable(owner, cart_id)
    _item(cart, item_id).delete()


def _item(cart: Cart, item_id) -> CartItem:
    from rest_framework.exceptions import NotFound

    try:
        return CartItem.objects.select_related("variant").get(pk=int(item_id), cart=cart)
    except (CartItem.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such cart item.") from None


@transaction.atomic
def set_destination(owner: Owner, cart_id, country: str, method: str, region: str = "") -> Cart:
    """Remember where the cart goes, so its totals include shipping and tax before checkout
    (`region`: the state or province, where tax rates differ within the country)."""
    cart = _writable(owner, cart_id)
    country = (country or "").upper()
    if country and not is_country_code(country):
        raise InvalidRequest("Unknown country.", fields={"shipping_country": ["Not an ISO 3166-1 alpha-2 code."]})
    if method:
        if not country:
            raise InvalidRequest("A method needs a country.", fields={"shipping_country": ["Required with a method."]})
        items = selectors.cart_items(cart)
        offer = pricing.quote(
            selectors.rate_methods(),
            method,
            country,
            selectors.cart_weight(items),
            selectors.cart_currency(items) if items else None,
        )
        if offer is None:
            raise InvalidRequest(
                "Shipping method not available.", fields={"shipping_method": [f"{method!r} does not ship there."]}
            )
    cart.shipping_country, cart.shipping_method = country, method or ""
    cart.shipping_region = region if country else ""
    cart.save(update_fields=["shipping_country", "shipping_method", "shipping_region", "updated_at"])
    return cart
