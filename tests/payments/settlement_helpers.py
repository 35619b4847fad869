"""Orders as settlement hears of them: OrderConfirmed with seller lines, then the charge."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from flowmart.common.money import Money
from flowmart.contracts.common import Address
from flowmart.contracts.orders import OrderConfirmed, OrderLine
from flowmart.payments.models import LedgerEntry, SellerAccount, seller_account
from flowmart.payments.services import payouts

from .helpers import initiated, reserved, send

ADDRESS = Address(
    name="Ada", line1="1 Main St", line2="", city="Springfield", postal_code="12345", country="US", phone=""
)


def line(sku, quantity, price, seller_id, discount="0", tax="0", currency="USD") -> OrderLine:
    return OrderLine(
        sku=sku,
        name=sku,
        quantity=quantity,
        unit_price=Money(Decimal(price), currency),
        seller_id=seller_id,
        discount=Money(Decimal(discount), currency),
        tax=Money(Decimal(tax), currency),
    )


def confirmed(order_id, lines, shipping="0", currency="USD") -> OrderConfirmed:
    total = sum((x.paid.amount for x in lines), Decimal(0))
    total += Decimal(shipping)
    return OrderConfirmed(
        order_id=order_id,
        order_number=f"FM-{order_id}",
        customer_id=1000 + order_id,
        customer_email="buyer@example.com",
        lines=tuple(lines),
        shipping_address=ADDRESS,
        shipping_method="standard",
        total=Money(total, currency),
        shipping=Money(Decimal(shipping), currency),
    )


def hear(event) -> None:
    """Deliver an orders event to settlement's subscriber only, as the dispatcher would (published
    on the bus, OrderConfirmed would also make inventory refuse SKUs it holds no stock of)."""
    from flowmart.payments import settlement_handlers

    with transaction.atomic():
        if isinstance(event, OrderConfirmed):
            settlement_handlers.settle_confirmed_lines(event)
        else:
            settlement_handlers.settle_amended_lines(event)


def paid_order(order_id, lines, shipping="0", provider="dummy") -> OrderConfirmed:
    """Confirm, then pay (the dummy provider captures pm_card_visa at once)."""
    event = confirmed(order_id, lines, shipping)
    hear(event)
    send(initiated(order_id, amount=str(event.total.amount), provider=provider), reserved(order_id))
    return event


def balance(seller_id, bucket, currency="USD") -> Decimal:
    return payouts.balance(seller_id, currency, bucket)


def commission_of(seller_id) -> Decimal:
    rows = LedgerEntry.objects.filter(account=LedgerEntry.Account.COMMISSION, seller_id=seller_id)
    return sum((e.credit - e.debit for e in rows), Decimal(0))


def age_sales(days=8) -> None:
    """Move every sale posting back in time, past the hold period."""
    LedgerEntry.objects.filter(kind="sale").update(created_at=timezone.now() - timedelta(days=days))


def verified(seller_id, stripe_account="", **extra) -> SellerAccount:
    seller, _ = SellerAccount.objects.get_or_create(seller_id=seller_id)
    seller.kyc_status, seller.stripe_account_id = "verified", stripe_account
    for key, value in extra.items():
        setattr(seller, key, value)
    seller.save()
    return seller


__all__ = ["seller_account"]
