"""Checkout: turn the customer's cart into an order, exactly once per Idempotency-Key.

The key row is claimed with INSERT … ON CONFLICT DO NOTHING RETURNING (a new row is ours and
locked), else locked with SELECT … FOR UPDATE, in the same transaction that creates the order
and stores the response. A second request
with the same key therefore waits for the first to commit and replays its answer;
if the first failed (rolled back), the key was never stored and the retry runs anew.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowmart.common.errors import Conflict, IdempotencyKeyReused, InsufficientStock, InvalidRequest

from .. import currencies, pricing, promotions, selectors, tax
from ..models import Cart, CartItem, CustomerAddress, IdempotencyKey, Order
from ..selectors import Guest, Owner
from . import vouchers
from .placing import Customer, LineSpec, Payment, guest_order_url, place_order

# Clients retry a checkout within minutes; for a day a repeat is answered with the first response.
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country", "phone", "region")


def purge_idempotency_keys() -> int:
    """Keys older than the replay window are forgotten; a repeat after that is a new request."""
    cutoff = timezone.now() - IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def request_hash(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


GUEST_KEYS = 0  # guests' keys live under customer id 0, each scoped by its cart token


def _key_scope(owner: Owner, key: str) -> tuple[int, str]:
    """(customer id, key) the claim is stored under: a guest's key is hashed with their cart
    token, so two guests using the same Idempotency-Key never meet."""
    if isinstance(owner, Guest):
        return GUEST_KEYS, "guest-" + hashlib.sha256(f"{owner.token}:{key}".encode()).hexdigest()
    return owner, key


def checkout(
    customer: Customer, key: str, body_hash: str, data: dict, client_ip: str | None, owner: Owner | None = None
) -> tuple[int, dict]:
    """Returns (HTTP status, body). `data` is the validated request body; `owner` is whose
    cart it is (the customer's id by default, or a Guest with their cart token)."""
    owner = customer.id if owner is None else owner
    with transaction.atomic():
        claim = _claim(*_key_scope(owner, key), body_hash)
        if claim.response_status is not None:
            if claim.request_hash != body_hash:
                raise IdempotencyKeyReused()
            return claim.response_status, _current(claim.response_body)
        order = _order_from_cart(customer, owner, data, client_ip, getattr(claim, "order_id_drawn", None))
        claim.response_status, claim.order = 201, order
        claim.response_body = {"order_id": order.pk, "status": order.status}
        if order.customer_id is None:
            claim.response_body["guest_order_url"] = guest_order_url(order)
        claim.response_body.update(tax.checkout_fields(order))
        claim.save(update_fields=["response_status", "response_body", "order"])
    if settings.CELERY_TASK_ALWAYS_EAGER:  # committed: the saga has already moved the order on, read it
        return 201, _current(claim.response_body)
    # With workers the order stands as this transaction left it: its first move is several
    # deliveries away (stock reserved, then the payment), so there is nothing newer to read.
    return 201, {**claim.response_body, "next_action": None}


def _claim(customer_id: int, key: str, body_hash: str) -> IdempotencyKey:
    """The key's row, locked until this transaction ends. A new key (nearly every checkout) costs
    one statement: the row this INSERT made is ours and locked. A key already stored, or being
    stored by a request running now (the INSERT waits for it to end), is read with FOR UPDATE."""
    claim = IdempotencyKey(customer_id=customer_id, key=key, request_hash=body_hash)
    if _insert_new(claim):
        return claim
    return IdempotencyKey.objects.select_for_update().get(customer_id=customer_id, key=key)


def _insert_new(claim: IdempotencyKey) -> bool:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id; False when the key was there already.
    On PostgreSQL the same statement draws the new order's id from the orders' sequence
    (`claim.order_id_drawn`): the order is then inserted with its number in one statement."""
    connection = transaction.get_connection()
    if not connection.features.can_return_columns_from_insert:  # an old SQLite
        IdempotencyKey.objects.bulk_create([claim], ignore_conflicts=True)
        return False
    quote, field = connection.ops.quote_name, IdempotencyKey._meta.get_field
    columns = ("customer_id", "key", "request_hash", "created_at")
    values = [field(name).get_db_prep_value(getattr(claim, name), connection) for name in columns]
    returning = quote(IdempotencyKey._meta.pk.column)
    if connection.vendor == "postgresql":  # RETURNING runs for a new key only: no id drawn for a replay
        returning += ", nextval(pg_get_serial_sequence(%s, %s))"
        values += [Order._meta.db_table, Order._meta.pk.column]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(IdempotencyKey._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING {returning}",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    claim.pk, claim._state.adding = row[0], False
    claim.order_id_drawn = row[1] if len(row) > 1 else None
    return True


def _current(body: dict) -> dict:
    """The stored response with the order's status (and what the payment asks of the
    customer, 3-D Secure) as they stand now."""
    found = Order.objects.filter(pk=body["order_id"]).values("status", "next_action")[:1]  # by key: no ORDER BY
    now = next(iter(found), {})
    return {**body, "status": now.get("status") or body["status"], "next_action": now.get("next_action")}


def _address(customer_id: int | None, data: dict) -> dict:
    """The inline address, or the customer's saved one from orders' address-book copy."""
    if "shipping_address" in data:
        return dict(data["shipping_address"])
    if customer_id is None:
        raise InvalidRequest(
            "Guests send the address itself.", fields={"shipping_address_id": ["Only customers have an address book."]}
        )
    saved = CustomerAddress.objects.filter(
        address_id=data["shipping_address_id"], customer_id=customer_id, deleted=False
    ).first()
    if saved is None:
        raise InvalidRequest(
            "Unknown address.", fields={"shipping_address_id": ["No such address in your address book."]}
        )
    return {field: saved.address.get(field) or "" for field in ADDRESS_FIELDS}


def _order_from_cart(
    customer: Customer, owner: Owner, data: dict, client_ip: str | None, order_id: int | None = None
) -> Order:
    cart = selectors.cart_of(owner, data["cart_id"], lock=True, rates_version=True)
    if cart.status == Cart.Status.CLOSED:
        raise Conflict(
            f"This cart was already checked out (order {cart.order_id}); use a new cart.",
            code="cart_checked_out",
            order_id=cart.order_id,
        )
    items = selectors.cart_items(cart)
    if not items:
        raise InvalidRequest("The cart is empty.", fields={"cart_id": ["The cart is empty."]})
    currencies.check_sold_in(cart, items)
    gone = [item.variant_id for item in items if not item.variant.active]
    if gone:
        raise InvalidRequest(
            "Some items are no longer for sale.", fields={"cart_id": [f"Not for sale: {', '.join(gone)}."]}
        )
    _check_stock(items)
    currency = items[0].variant.currency
    if any(item.variant.currency != currency for item in items):
        raise InvalidRequest("A cart holds one currency.", fields={"cart_id": ["The cart mixes currencies."]})
    address = _address(customer.id, data)
    method = pricing.quote(
        selectors.rate_methods((cart.rates_revision, cart.rates_updated_at)),
        data["shipping_method"],
        address["country"],
        selectors.cart_weight(items),
        currency,
    )
    if method is None:
        raise InvalidRequest(
            "Shipping method not available.",
            fields={
                "shipping_method": [f"{data['shipping_method']!r} does not ship this cart to {address['country']}."]
            },
        )
    lines = [
        LineSpec(
            sku=item.variant.sku,
            name=item.variant.name,
            quantity=item.quantity,
            **promotions.line_fields(item),
            weight_grams=item.variant.weight_grams,
            seller_id=item.variant.seller_id,
            seller_slug=item.variant.seller_slug,
            seller_name=item.variant.seller_name,
            tax_class=item.variant.tax_class,
        )
        for item in items
    ]
    payment = Payment(data["payment"]["provider"], data["payment"]["payment_method"], client_ip)
    priced = vouchers.at_checkout(cart, items, method)
    order = place_order(
        customer,
        lines,
        address,
        priced.method,
        payment,
        line_discounts=priced.line_discounts,
        channel=cart.channel,
        order_id=order_id,
    )
    vouchers.redeem(order, customer, priced)
    promotions.claim_deals(order, items)  # 409 deal_sold_out rolls the whole order back
    # The cart becomes the order: emptied and closed (a repeat checkout of it is told so), and
    # the customer's next POST /carts/ opens a new one.
    CartItem.objects.filter(cart=cart).delete()
    cart.status, cart.order = Cart.Status.CLOSED, order
    cart.save(update_fields=["status", "order", "updated_at"])
    return order


def _check_stock(items: list[CartItem]) -> None:
    """Checkout re-checks what the cart was allowed to hold: stock may have sold meanwhile."""
    available = selectors.availability(item.variant_id for item in items)
    short = [
        {"sku": item.variant_id, "quantity": item.quantity, "available": available[item.variant_id]}
        for item in items
        if item.quantity > available[item.variant_id]
    ]
    if short:
        first = short[0]
        raise InsufficientStock(
            "Not enough stock for " + ", ".join(f"{s['sku']} ({s['available']} available)" for s in short) + ".",
            sku=first["sku"],
            available=first["available"],
            shortages=short,
        )
