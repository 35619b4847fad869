"""Creating an order: the one path shared by checkout and subscription renewals.

The order, its lines, its first timeline entry and the OrderConfirmed +
PaymentInitiated events are written in the caller's transaction with a fixed,
small number of statements (lines are bulk-inserted), whatever the cart size.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from flowmart.common.money import Money
from flowmart.contracts.common import Address
from flowmart.contracts.orders import OrderConfirmed, OrderLine, PaymentInitiated, guest_order_path
from flowmart.events import publish
from flowmart.events.base import Event

from .. import pricing, tax
from ..channels import channel as sales_channel
from ..models import Order, OrderTimelineEntry
from ..models import OrderLine as OrderLineRow


@dataclass(frozen=True)
class Customer:
    id: int | None  # None: a guest, known by the email given at checkout
    email: str
    joined_at: datetime | None = None


def guest_order_url(order: Order) -> str:
    """A guest's signed link to their order (empty for a customer's order)."""
    if order.customer_id is not None:
        return ""
    return settings.PUBLIC_BASE_URL.rstrip("/") + guest_order_path(order.pk, order.customer_email)


@dataclass(frozen=True)
class LineSpec:
    """A line to buy, as read from the variant projection at this moment."""

    sku: str
    name: str
    quantity: int
    unit_price: Money
    weight_grams: int
    seller_id: int
    seller_slug: str = ""
    seller_name: str = ""
    discount_percent: int | None = None  # a renewal line's plan discount; None: the order's
    tax_class: str = "standard"  # the product's (SellableVariant.tax_class)
    renewal: tuple[int, int, int] | None = None  # (subscription_id, cycle, attempt) of a renewal line
    original_unit_price: Money | None = None  # the regular price when a sale or deal set unit_price
    sale: dict | None = None  # which sale or deal (orders/promotions.py)


@dataclass(frozen=True)
class Payment:
    provider: str
    payment_method: str
    client_ip: str | None = None


def order_number(order_id: int) -> str:
    return f"FM-{order_id:08d}"


def contract_lines(rows, currency: str, tax_included: bool = False) -> tuple[OrderLine, ...]:
    """Order line rows as the contract's OrderLine value objects."""
    return tuple(
        OrderLine(
            sku=r.sku,
            name=r.name,
            quantity=r.quantity,
            unit_price=Money(r.unit_price, currency),
            seller_id=r.seller_id,
            discount=Money(r.discount, currency),
            tax=Money(r.tax, currency),
            tax_included=tax_included,
        )
        for r in rows
    )


def place_order(
    customer: Customer,
    lines: list[LineSpec],
    address: dict,
    method: dict,
    payment: Payment,
    *,
    discount_percent: int = 0,
    subscription_id: int | None = None,
    renewal_cycle: int | None = None,
    renewal_key: str | None = None,
    cause: str = "order placed",
    preceding: Callable[[Order], Iterable[Event]] | None = None,
    line_discounts: list[Money] | None = None,
    channel: str | None = None,
    order_id: int | None = None,
) -> Order:
    """Write the order (status pending) and start the saga. Call inside a transaction.
    `preceding(order)` gives events published just before OrderConfirmed and PaymentInitiated:
    their deliveries come first, so their subscribers hear them before the saga's outcome.
    `line_discounts`: the vouchers' share of each line (services/vouchers.py).
    `channel`: the cart's sales channel (None: the default one, e.g. a renewal's).
    `order_id`: drawn from the orders' id sequence beforehand (by the statement that claims
    checkout's key): the order is then inserted with its number, not numbered by an UPDATE."""
    currency = lines[0].unit_price.currency
    chan = sales_channel(channel)
    priced = [
        pricing.PricedLine(
            sku=s.sku,
            unit_price=s.unit_price,
            quantity=s.quantity,
            discount_percent=s.discount_percent,
            tax_class=s.tax_class,
        )
        for s in lines
    ]
    totals = tax.price(
        priced, currency, method["price"], tax.Destination.of(address), chan, discount_percent, line_discounts
    )
    rate = tax.headline_rate(totals)
    order = Order.objects.create(
        id=order_id,
        number=order_number(order_id) if order_id is not None else None,
        customer_id=customer.id,
        customer_email=customer.email,
        currency=currency,
        subtotal=totals.subtotal.amount,
        shipping=totals.shipping.amount,
        discount=totals.discount.amount,
        tax=totals.tax.amount,
        total=totals.total.amount,
        tax_rate=rate,
        discount_percent=discount_percent,
        channel=chan.code,
        prices_include_tax=chan.prices_include_tax,
        shipping_address=address,
        shipping_method=method["code"],
        shipping_carrier=method.get("carrier", ""),
        payment_provider=payment.provider,
        subscription_id=subscription_id,
        renewal_cycle=renewal_cycle,
        renewal_key=renewal_key,
    )
    if order_id is None:  # the number is the id the INSERT drew
        order.number = order_number(order.pk)
        Order.objects.filter(pk=order.pk).update(number=order.number)
    order.tax_lines = totals.tax_lines  # the checkout answer shows them without reading the lines back
    OrderLineRow.objects.bulk_create(
        [
            OrderLineRow(
                order=order,
                sku=spec.sku,
                name=spec.name,
                quantity=spec.quantity,
                unit_price=spec.unit_price.amount,
                original_unit_price=spec.original_unit_price.amount if spec.original_unit_price else None,
                sale=spec.sale,
                discount=p.discount.amount,
                tax=p.tax.amount,
                tax_class=spec.tax_class,
                tax_rate=p.tax_rate,
                tax_name=p.tax_name,
                weight_grams=spec.weight_grams,
                seller_id=spec.seller_id,
                seller_slug=spec.seller_slug,
                seller_name=spec.seller_name,
                discount_percent=spec.discount_percent,
                **_renewal_fields(spec),
            )
            for spec, p in zip(lines, totals.lines, strict=True)
        ]
    )
    OrderTimelineEntry.objects.create(order=order, at=order.created_at, event=f"pending: {cause}")
    publish(
        *(preceding(order) if preceding else ()),
        OrderConfirmed(
            order_id=order.pk,
            order_number=order.number,
            customer_id=customer.id,
            customer_email=customer.email,
            lines=tuple(
                OrderLine(
                    sku=s.sku,
                    name=s.name,
                    quantity=s.quantity,
                    unit_price=s.unit_price,
                    seller_id=s.seller_id,
                    discount=p.discount,
                    tax=p.tax,
                    tax_included=chan.prices_include_tax,
                )
                for s, p in zip(lines, totals.lines, strict=True)
            ),
            shipping_address=Address(**address),
            shipping_method=method["code"],
            total=totals.total,
            subtotal=totals.subtotal,
            shipping=totals.shipping,
            discount=totals.discount,
            tax=totals.tax,
            prices_include_tax=chan.prices_include_tax,
            channel=chan.code,
            subscription_id=subscription_id,
            guest_order_url=guest_order_url(order),
        ),
        PaymentInitiated(
            order_id=order.pk,
            order_number=order.number,
            customer_id=customer.id,
            customer_email=customer.email,
            customer_since=customer.joined_at,
            amount=totals.total,
            provider=payment.provider,
            payment_method=payment.payment_method,
            shipping_country=address["country"],
            item_count=sum(s.quantity for s in lines),
            client_ip=payment.client_ip,
            subscription_id=subscription_id,
            renewal_key=renewal_key,
            renewal_cycle=lines[0].renewal[1] if lines[0].renewal else None,
            renewal_attempt=lines[0].renewal[2] if lines[0].renewal else None,
        ),
    )
    return order


def _renewal_fields(spec: LineSpec) -> dict:
    if spec.renewal is None:
        return {}
    subscription_id, cycle, attempt = spec.renewal
    return {"subscription_id": subscription_id, "renewal_cycle": cycle, "renewal_attempt": attempt}
