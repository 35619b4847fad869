"""The orders side of privacy (docs/privacy.md): the customer's orders and carts in the
export, the erasure (orders stay for accounting with the person taken out, address-book
copies and carts go), the erasure blocker (an order still in flight) and cart retention."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from flowmart.common import privacy
from flowmart.common.money import quantize

from .models import Cart, CustomerAddress, IdempotencyKey, Order, OrderReturn, VoucherRedemption
from .status import OrderStatus

# Orders that are neither settled nor on their way: erasing now would leave a parcel without
# an address or a payment without its customer, so the erasure waits for them.
IN_FLIGHT = (OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD, OrderStatus.PAID)


def export_customer(customer_id: int, email: str) -> dict:
    orders = Order.objects.filter(customer_id=customer_id).prefetch_related("lines").order_by("id")
    carts = Cart.objects.filter(customer_id=customer_id).prefetch_related("items").order_by("id")
    return {
        "orders": [_order(order) for order in orders],
        "carts": [
            {
                "id": cart.id,
                "status": cart.status,
                "created_at": cart.created_at.isoformat(),
                "items": [{"sku": item.variant_id, "quantity": item.quantity} for item in cart.items.all()],
            }
            for cart in carts
        ],
        "voucher_uses": [
            {
                "code": use.code,
                "order_number": use.order.number,
                "discount": str(quantize(use.discount, use.currency)),
                "currency": use.currency,
                "redeemed_at": use.redeemed_at.isoformat(),
                "released": use.released_at is not None,
            }
            for use in _voucher_uses(customer_id).select_related("order").order_by("id")
        ],
    }


def _voucher_uses(customer_id: int):
    """The customer's voucher uses: by account, or on one of their orders (a claimed guest order's)."""
    return VoucherRedemption.objects.filter(Q(customer_id=customer_id) | Q(order__customer_id=customer_id))


def _order(order: Order) -> dict:
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "email": order.customer_email,
        "created_at": order.created_at.isoformat(),
        "currency": order.currency,
        "totals": {name: str(money.amount) for name, money in order.totals.items()},
        "shipping_address": order.shipping_address,
        "shipping_method": order.shipping_method,
        "lines": [
            {"sku": line.sku, "name": line.name, "quantity": line.quantity, "unit_price": str(line.unit_price)}
            for line in order.lines.all()
        ],
    }


def erasure_blockers(customer_id: int) -> list[str]:
    numbers = Order.objects.filter(customer_id=customer_id, status__in=IN_FLIGHT).values_list("number", "status")
    return [f"order {number} is {status}" for number, status in numbers]


@transaction.atomic
def erase_customer(customer_id: int) -> None:
    """CustomerErased: orders keep amounts, SKUs and dates; the email, the address (all but
    the country, which tax needs) and return reasons (free text) go. The address-book copies,
    carts and stored checkout answers (they repeat the address) are deleted. Voucher uses
    keep their order, customer id and discount (the per-customer limits and the counters hold)
    and lose the email guests are limited by."""
    orders = Order.objects.filter(customer_id=customer_id)
    for order in orders.only("pk", "shipping_address"):
        Order.objects.filter(pk=order.pk).update(
            customer_email=privacy.erased_email(customer_id),
            shipping_address=privacy.anonymise_address(order.shipping_address),
            next_action=None,
        )
    OrderReturn.objects.filter(order__customer_id=customer_id).update(reason=privacy.ERASED_NAME)
    _voucher_uses(customer_id).update(email=privacy.erased_email(customer_id))
    CustomerAddress.objects.filter(customer_id=customer_id).delete()
    Cart.objects.filter(customer_id=customer_id).delete()
    IdempotencyKey.objects.filter(customer_id=customer_id).delete()


def purge_old_carts(now=None) -> int:
    """Retention: carts (a guest's or a customer's, open or closed) untouched for
    PRIVACY_CART_RETENTION_DAYS are deleted with their items."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PRIVACY_CART_RETENTION_DAYS)
    with transaction.atomic():
        _, per_model = Cart.objects.filter(updated_at__lt=cutoff).delete()
    return per_model.get(Cart._meta.label, 0)
