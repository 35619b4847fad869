"""Reads of the orders context. Every lookup is scoped to the calling customer, so
another customer's cart or order is simply not found (404)."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from django.db.models import DateTimeField, IntegerField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from rest_framework.exceptions import NotFound

from flowmart.common.money import Money

from . import currencies, pricing, promotions, tax, voucher_selectors
from .channels import channel
from .models import Cart, CartItem, Order, OrderLine, OrderReturn, ShippingRateTable, SkuAvailability


@dataclass(frozen=True)
class Guest:
    """A shopper without an account, known only by their cart's token (X-Cart-Token)."""

    token: str


Owner = int | Guest  # a customer's id, or a guest


def owned_carts(owner: Owner) -> QuerySet[Cart]:
    if isinstance(owner, Guest):
        return Cart.objects.filter(token=owner.token, customer_id__isnull=True)
    return Cart.objects.filter(customer_id=owner)


def cart_of(owner: Owner, cart_id, *, lock: bool = False, rates_version: bool = False) -> Cart:
    """`rates_version`: the cart also brings the rate table's version (`cart.rates_version`), so
    quoting it needs no statement of its own while this process holds that version (rate_methods)."""
    carts = owned_carts(owner)
    if lock:
        carts = carts.select_for_update()
    if rates_version:
        carts = carts.annotate(**_RATES_VERSION)
    try:
        return carts.get(pk=int(cart_id))
    except (Cart.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such cart.") from None


def open_cart_of(owner: Owner | None) -> Cart | None:
    if owner is None:
        return None
    # At most one (one_open_cart; a guest's token is unique): [:1], without first()'s ORDER BY.
    return next(iter(owned_carts(owner).filter(status=Cart.Status.OPEN)[:1]), None)


def cart_items(cart: Cart) -> list[CartItem]:
    """The cart's lines with their current catalogue data, priced in the cart's currency, with
    their sale or deal price (`unit_price`, `original_unit_price`, `sale`: orders/promotions.py)."""
    items = list(CartItem.objects.filter(cart=cart).select_related("variant").order_by("id"))
    return promotions.price_items(currencies.quote_items(cart, items))


def availability(skus) -> dict[str, int]:
    """Units that can be sold per SKU, from orders' projection of inventory's levels; a SKU
    inventory never reported has none."""
    skus = list(skus)
    if not skus:
        return {}
    known = dict(SkuAvailability.objects.filter(sku__in=skus).values_list("sku", "available"))
    return {sku: max(known.get(sku, 0), 0) for sku in skus}


def cart_currency(items: list[CartItem]) -> str:
    return items[0].variant.currency if items else settings.DEFAULT_CURRENCY


def cart_weight(items: list[CartItem]) -> int:
    return sum(item.variant.weight_grams * item.quantity for item in items)


# The shipping rate table as this process decoded it last: ((revision, updated_at), methods).
# Every checkout and priced cart quotes from it, and the table is one JSON document that changes
# when shipping publishes new rates; moving and decoding it on every call was a checkout's
# costliest statement. The key is the row's own version as stored (updated_at changes with
# every write, revision with every table: a table written again, as after a reset, differs too).
_held_rates: tuple[tuple, list[dict]] | None = None


_RATES_TABLE = ShippingRateTable._meta.db_table
_RATES_VERSION = {
    "rates_revision": RawSQL(f"SELECT revision FROM {_RATES_TABLE} WHERE id = 1", (), output_field=IntegerField()),
    "rates_updated_at": RawSQL(f"SELECT updated_at FROM {_RATES_TABLE} WHERE id = 1", (), output_field=DateTimeField()),
}


def rate_methods(version: tuple | None = None) -> list[dict]:
    """The stored rate table's methods: read-only, shared by this process's requests. Every call
    learns the row's version: from `version` (revision, updated_at) when the caller read it with
    its own statement (cart_of), else from one statement that brings the methods too only when
    they are not the ones this process holds. Rates another process stored (a worker handling
    ShippingRatesPublished) are quoted by the very next call here; nothing is cached by time."""
    global _held_rates
    held = _held_rates
    if version is not None:
        if version == (None, None):
            return []  # no table stored
        if held is not None and held[0] == version:
            return held[1]
    connection = connections[router.db_for_read(ShippingRateTable)]
    with connection.cursor() as cursor:
        cursor.execute(_rates_sql(connection), list(held[0]) if held else [None, None])
        row = cursor.fetchone()
    if row is None:
        return []
    revision, updated_at, methods = row
    if held is not None and methods is None and held[0] == (revision, updated_at):
        return held[1]
    methods = ShippingRateTable._meta.get_field("methods").from_db_value(methods, None, connection) or []
    _held_rates = ((revision, updated_at), methods)
    return methods


def _rates_sql(connection) -> str:
    """The version, and the methods only when the version is not the one given (NULLs: none held).
    The row's values come back as stored: the key compares what this statement returns."""
    return (
        "SELECT revision, updated_at, CASE WHEN revision = %s AND updated_at = %s THEN NULL ELSE methods END "
        f"FROM {connection.ops.quote_name(_RATES_TABLE)} WHERE id = 1"
    )


def cart_totals(cart: Cart, items: list[CartItem], *, new: bool = False) -> pricing.Totals:
    """Current prices; shipping and tax once the cart knows its destination (and method).
    `new`: the cart was made by this request, so it holds no vouchers yet (nothing to read)."""
    currency = currencies.of_cart(cart, items)
    shipping = Money.zero(currency)
    if items and cart.shipping_country and cart.shipping_method:
        offer = pricing.quote(rate_methods(), cart.shipping_method, cart.shipping_country, cart_weight(items), currency)
        if offer is not None:
            shipping = offer["price"]
    lines = [
        pricing.PricedLine(
            sku=i.variant_id, unit_price=i.unit_price, quantity=i.quantity, tax_class=i.variant.tax_class
        )
        for i in items
    ]
    applied = voucher_selectors.applied_to_cart(cart, items, shipping, currency, held=[] if new else None)
    destination = tax.Destination(cart.shipping_country, cart.shipping_region)
    totals = tax.price(
        lines, currency, applied.shipping, destination, channel(cart.channel), line_discounts=applied.line_discounts
    )
    totals.vouchers = applied.outcomes
    return totals


def shipping_offers(cart: Cart | None, country: str) -> dict:
    """Methods and prices for the cart (an empty parcel if there is none), and why the others
    do not fit (pricing.explain)."""
    items = cart_items(cart) if cart else []
    currency = cart_currency(items) if items else None
    return pricing.explain(rate_methods(), country, cart_weight(items), currency)


def orders_of(customer_id: int) -> QuerySet[Order]:
    return Order.objects.filter(customer_id=customer_id).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        "shipments__tracking_events",
        "timeline",
        Prefetch("returns", queryset=OrderReturn.objects.order_by("id")),
    )


def order_of(customer_id: int, order_id) -> Order:
    try:
        return orders_of(customer_id).get(pk=int(order_id))
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such order.") from None


def order_state_of(customer_id: int, order_id) -> tuple[int, str, str]:
    """(id, status, payment status) of the customer's order, in one short read: what a waiting
    request needs before it waits (the whole order is read once, for the answer). 404 as order_of."""
    try:
        found = Order.objects.filter(customer_id=customer_id, pk=int(order_id))
        return found.values_list("pk", "status", "payment_status").get()
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such order.") from None


def return_of(customer_id: int, return_id: str) -> OrderReturn:
    ret = (
        OrderReturn.objects.select_related("order").filter(return_id=return_id, order__customer_id=customer_id).first()
    )
    if ret is None:
        raise NotFound("No such return.")
    return ret


def guest_order(token: str) -> Order:
    """The order a guest's signed link names (API.md: 404 for anything else)."""
    from flowmart.contracts.orders import read_guest_order_token

    found = read_guest_order_token(token, max_age_seconds=settings.GUEST_ORDER_LINK_MAX_AGE_DAYS * 86400)
    order = None
    if found is not None:
        order = Order.objects.filter(pk=found[0], customer_email__iexact=found[1]).first()
    if order is None:
        raise NotFound("No such order.")
    return order_of(order.customer_id, order.pk)
