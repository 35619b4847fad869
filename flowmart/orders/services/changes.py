"""What a customer may do to an order after checkout: cancel, amend, return —
and how orders settles an amendment once inventory has answered it."""

import logging
import uuid
from collections import Counter
from decimal import Decimal

from django.db import transaction
from rest_framework.exceptions import NotFound

from flowmart.common.errors import Conflict, InvalidRequest, OutOfStock
from flowmart.common.money import Money
from flowmart.contracts.common import Address, SkuQuantity
from flowmart.contracts.orders import OrderAmended, ReturnRequested
from flowmart.events import publish

from .. import currencies, pricing, tax
from ..models import Order, OrderAmendment, OrderLine, OrderReturn, SellableVariant, SkuAvailability
from ..status import CancellationReason, OrderStatus, is_changeable
from . import vouchers
from .lifecycle import cancel, locked, note
from .placing import contract_lines

logger = logging.getLogger("flowmart.orders")

LINE_FIELDS = ("sku", "name", "quantity", "unit_price", "discount", "tax", "weight_grams")
SELLER_FIELDS = ("seller_id", "seller_slug", "seller_name")
# A renewal line keeps its plan's discount and the (subscription, cycle, attempt) it bills
# through every amendment and revert: None for an ordinary line.
RENEWAL_FIELDS = ("discount_percent", "subscription_id", "renewal_cycle", "renewal_attempt")
TAX_FIELDS = ("tax_class", "tax_rate", "tax_name")
KEPT_FIELDS = LINE_FIELDS + SELLER_FIELDS + RENEWAL_FIELDS + TAX_FIELDS
TOTAL_FIELDS = ("subtotal", "shipping", "discount", "tax", "total")


def own_locked(customer_id: int, order_id) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=int(order_id), customer_id=customer_id)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such order.") from None


@transaction.atomic
def cancel_by_customer(customer_id: int, order_id) -> Order:
    order = own_locked(customer_id, order_id)
    if not is_changeable(order):
        raise Conflict(f"An order that is {order.status} can no longer be cancelled.")
    cancel(order, CancellationReason.CUSTOMER_REQUEST, "cancelled by the customer")
    return order


def _merged(lines: list[dict]) -> Counter:
    wanted = Counter()
    for line in lines:
        wanted[line["sku"]] += line["quantity"]
    return wanted


def _snapshot(order: Order, lines: list[OrderLine]) -> tuple[list[dict], dict]:
    rows = [{name: _text(getattr(line, name)) for name in KEPT_FIELDS} for line in lines]
    return rows, {name: str(getattr(order, name)) for name in TOTAL_FIELDS}


def _text(value) -> str | None:
    """A snapshot value as JSON text; None stays None (a field left empty, not "None")."""
    return None if value is None else str(value)


def _check_stock(extra: dict[str, int]) -> None:
    """Orders' own availability projection must cover every extra unit."""
    available = dict(SkuAvailability.objects.filter(sku__in=list(extra)).values_list("sku", "available"))
    short = sorted(sku for sku, units in extra.items() if available.get(sku, 0) < units)
    if short:
        raise OutOfStock(f"Not enough stock for {', '.join(short)}; the order was not changed.")


def _new_lines(order: Order, current: list[OrderLine], wanted: Counter) -> list[OrderLine]:
    """Kept SKUs keep their price at checkout; added SKUs are priced now."""
    by_sku = {line.sku: line for line in current}
    added = {v.sku: v for v in SellableVariant.objects.filter(sku__in=[s for s in wanted if s not in by_sku])}
    for variant in added.values():
        currencies.quote(variant, order.currency)  # its price in the order's currency, if it has one
    problems = {}
    for sku, quantity in wanted.items():
        if not 1 <= quantity <= 100:
            problems[sku] = "Quantity must be between 1 and 100."
        elif sku not in by_sku and (sku not in added or not added[sku].active):
            problems[sku] = "Unknown or retired SKU."
        elif sku in added and added[sku].currency != order.currency:
            problems[sku] = f"Priced in {added[sku].currency}; the order is in {order.currency}."
    if problems:
        raise InvalidRequest(
            "Some lines cannot be ordered.", fields={"lines": [f"{k}: {v}" for k, v in problems.items()]}
        )
    lines = []
    for sku, quantity in wanted.items():
        if sku in by_sku:
            old = by_sku[sku]
            lines.append(OrderLine(**{n: getattr(old, n) for n in KEPT_FIELDS}))
        else:
            v = added[sku]
            lines.append(
                OrderLine(
                    sku=sku,
                    name=v.name,
                    unit_price=v.price_amount,
                    weight_grams=v.weight_grams,
                    seller_id=v.seller_id,
                    seller_slug=v.seller_slug,
                    seller_name=v.seller_name,
                    tax_class=v.tax_class,
                )
            )
        lines[-1].quantity = quantity
    return lines


def _write_lines(order: Order, lines: list[OrderLine]) -> None:
    """Replace the order's lines and re-price it (its shipping, channel and discount stay; tax
    is computed again per line for its destination at today's rates; a renewal line is
    discounted by its own plan's percent, the others by the order's)."""
    priced = [
        pricing.PricedLine(
            sku=ln.sku,
            unit_price=Money(ln.unit_price, order.currency),
            quantity=ln.quantity,
            discount_percent=ln.discount_percent,
            tax_class=ln.tax_class,
        )
        for ln in lines
    ]
    destination, chan = tax.Destination.of(order.shipping_address), tax.order_channel(order)
    totals = tax.price(priced, order.currency, order.money("shipping"), destination, chan, order.discount_percent)
    for line, share in zip(lines, totals.lines, strict=True):
        line.order, line.discount, line.tax = order, share.discount.amount, share.tax.amount
        line.tax_rate, line.tax_name = share.tax_rate, share.tax_name
    order.lines.all().delete()
    OrderLine.objects.bulk_create(lines)
    for name, value in totals.as_dict().items():
        setattr(order, name, value.amount)
    order.save(update_fields=[*TOTAL_FIELDS, "updated_at"])


@transaction.atomic
def amend(customer_id: int, order_id, requested: list[dict]) -> Order:
    """Set the order's lines. Extra units must be available; inventory confirms or refuses."""
    order = own_locked(customer_id, order_id)
    vouchers.refuse_amendment(order)
    if not is_changeable(order):
        raise Conflict(f"An order that is {order.status} can no longer be amended.")
    if order.status == OrderStatus.PENDING:
        # Inventory has not answered the checkout yet: an amendment could overtake it.
        raise Conflict("The order is still being confirmed; try again in a moment.")
    if order.amendments.filter(status=OrderAmendment.Status.PENDING).exists():
        raise Conflict("The previous amendment of this order is still being confirmed; try again shortly.")
    current = list(order.lines.all())
    wanted = _merged(requested)
    before = Counter({line.sku: line.quantity for line in current})
    changes = {sku: wanted[sku] - before[sku] for sku in wanted.keys() | before.keys() if wanted[sku] != before[sku]}
    if not changes:
        return order
    lines = _new_lines(order, current, wanted)
    _check_stock({sku: diff for sku, diff in changes.items() if diff > 0})
    previous_lines, previous_totals = _snapshot(order, current)
    old_total = order.money("total")
    _write_lines(order, lines)
    amendment = OrderAmendment.objects.create(
        order=order, amendment_id=uuid.uuid4().hex, previous_lines=previous_lines, previous_totals=previous_totals
    )
    note(order, "amended: " + ", ".join(f"{sku} {diff:+d}" for sku, diff in sorted(changes.items())))
    publish(
        OrderAmended(
            order_id=order.pk,
            amendment_id=amendment.amendment_id,
            changes=tuple(SkuQuantity(sku=sku, quantity=diff) for sku, diff in sorted(changes.items())),
            lines=contract_lines(lines, order.currency, order.prices_include_tax),
            old_total=old_total,
            new_total=order.money("total"),
        )
    )
    return order


def _pending_amendment(order_id: int, amendment_id: str) -> tuple[Order | None, OrderAmendment | None]:
    order = locked(order_id)
    amendment = OrderAmendment.objects.filter(order_id=order_id, amendment_id=amendment_id).first() if order else None
    if order is not None and (amendment is None or amendment.status != OrderAmendment.Status.PENDING):
        logger.warning("answer for amendment %s of order %s ignored: not pending", amendment_id, order_id)
        return order, None
    return order, amendment


@transaction.atomic
def amendment_reserved(order_id: int, amendment_id: str) -> None:
    order, amendment = _pending_amendment(order_id, amendment_id)
    if amendment is not None:
        amendment.status = OrderAmendment.Status.APPLIED
        amendment.save(update_fields=["status"])
        note(order, "amendment confirmed: stock reserved")


@transaction.atomic
def amendment_refused(order_id: int, amendment_id: str, skus: tuple[str, ...]) -> None:
    """Inventory could not reserve the extra units: put the previous lines back."""
    order, amendment = _pending_amendment(order_id, amendment_id)
    if amendment is None:
        return
    order.lines.all().delete()
    OrderLine.objects.bulk_create([OrderLine(order=order, **row) for row in amendment.previous_lines])
    for name, value in amendment.previous_totals.items():
        setattr(order, name, Decimal(value))
    order.save(update_fields=[*TOTAL_FIELDS, "updated_at"])
    amendment.status = OrderAmendment.Status.REVERTED
    amendment.save(update_fields=["status"])
    note(order, f"amendment reverted: out of stock ({', '.join(skus)})")


@transaction.atomic
def request_return(customer_id: int, order_id, requested: list[dict], reason: str) -> OrderReturn:
    order = own_locked(customer_id, order_id)
    if order.status != OrderStatus.DELIVERED:
        raise Conflict("Only delivered orders can be returned.")
    lines = {line.sku: line for line in order.lines.all()}
    on_the_way = Counter()
    for ret in order.returns.exclude(status=OrderReturn.Status.RECEIVED):
        on_the_way.update(_merged(ret.lines))
    wanted = _merged(requested)
    problems = []
    for sku, quantity in wanted.items():
        line = lines.get(sku)
        left = line.quantity - line.returned_quantity - on_the_way[sku] if line else 0
        if line is None:
            problems.append(f"{sku}: not in this order.")
        elif not 1 <= quantity <= left:
            problems.append(f"{sku}: at most {left} can be returned.")
    if problems:
        raise InvalidRequest("Some lines cannot be returned.", fields={"lines": problems})
    ret = OrderReturn.objects.create(
        order=order,
        return_id=uuid.uuid4().hex,
        lines=[{"sku": sku, "quantity": qty} for sku, qty in wanted.items()],
        reason=reason,
    )
    note(order, f"return {ret.return_id} requested")
    publish(
        ReturnRequested(
            order_id=order.pk,
            return_id=ret.return_id,
            lines=tuple(SkuQuantity(sku=sku, quantity=qty) for sku, qty in wanted.items()),
            reason=reason,
            shipping_address=Address(**order.shipping_address),
        )
    )
    return ret
