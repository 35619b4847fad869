"""Voucher writes: a definition saved (or withdrawn) publishes VoucherDefined in the same
transaction, so orders' copy follows every change; uses reported by orders are recorded
once per order (VoucherRedeemed / VoucherReleased may be delivered twice)."""

from django.db import transaction
from django.utils import timezone

from flowmart.contracts.orders import VoucherRedeemed, VoucherReleased
from flowmart.contracts.promotions import VoucherDefined, normalise_code
from flowmart.events import publish

from ..models import Voucher, VoucherUse


def definition(voucher: Voucher, *, active: bool | None = None) -> VoucherDefined:
    """The voucher as the event carries it (whole: orders upserts it)."""
    return VoucherDefined(
        voucher_id=voucher.pk,
        code=voucher.code,
        kind=voucher.kind,
        percent=voucher.percent,
        amount=voucher.money("amount"),
        currency=voucher.currency,
        min_spend=voucher.money("min_spend"),
        valid_from=voucher.valid_from,
        valid_until=voucher.valid_until,
        owner_seller_id=voucher.owner_seller_id,
        product_ids=tuple(int(p) for p in voucher.product_ids),
        category_slugs=tuple(str(c) for c in voucher.category_slugs),
        seller_ids=tuple(int(s) for s in voucher.seller_ids),
        excluded_product_ids=tuple(int(p) for p in voucher.excluded_product_ids),
        excluded_category_slugs=tuple(str(c) for c in voucher.excluded_category_slugs),
        max_uses=voucher.max_uses,
        max_uses_per_customer=voucher.max_uses_per_customer,
        exclusive=voucher.exclusive,
        active=voucher.active if active is None else active,
    )


@transaction.atomic
def save_voucher(voucher: Voucher) -> Voucher:
    """Validate, store and publish a voucher (create or change)."""
    voucher.code = normalise_code(voucher.code)
    voucher.full_clean()
    voucher.save()
    publish(definition(voucher))
    return voucher


@transaction.atomic
def withdraw_voucher(voucher: Voucher) -> None:
    """Stop a voucher for good: deleted when never used, else kept inactive (its uses stay
    on record); either way orders stops accepting it."""
    publish(definition(voucher, active=False))
    if VoucherUse.objects.filter(voucher=voucher).exists():
        voucher.active = False
        voucher.save(update_fields=["active", "updated_at"])
    else:
        voucher.delete()


@transaction.atomic
def record_redeemed(ev: VoucherRedeemed) -> None:
    voucher = Voucher.objects.filter(pk=ev.voucher_id).first()
    if voucher is None:
        return
    VoucherUse.objects.get_or_create(
        voucher=voucher,
        order_id=ev.order_id,
        defaults={"customer_id": ev.customer_id, "discount": ev.discount.amount, "redeemed_at": ev.occurred_at},
    )


@transaction.atomic
def record_released(ev: VoucherReleased) -> None:
    VoucherUse.objects.filter(voucher_id=ev.voucher_id, order_id=ev.order_id).update(released=True)


def uses_now(voucher: Voucher) -> int:
    """Uses held by orders not released (what counts against max_uses)."""
    return voucher.uses.filter(released=False).count()


def is_current(voucher: Voucher) -> bool:
    now = timezone.now()
    return (
        voucher.active
        and (voucher.valid_from is None or voucher.valid_from <= now)
        and (voucher.valid_until is None or now < voucher.valid_until)
    )
