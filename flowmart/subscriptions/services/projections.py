"""Subscriptions' copies of other contexts' facts, kept from their events (never their tables)."""

from django.db import transaction

from ..models import CustomerAddress, Plan, ShippingMethod, Variant


@transaction.atomic
def product_published(ev) -> None:
    for v in ev.variants:
        current = Variant.objects.select_for_update().filter(sku=v.sku).first()
        if current is not None and current.as_of > ev.occurred_at:
            continue  # a late, older event
        Variant.objects.update_or_create(
            sku=v.sku,
            defaults={
                "product_id": ev.product_id,
                "product_name": ev.product_name,
                "name": v.name,
                "price": v.price.amount,
                "currency": v.price.currency,
                "seller_id": ev.seller_id,
                "active": v.active,
                "as_of": ev.occurred_at,
            },
        )
    Plan.objects.filter(sku__in=[v.sku for v in ev.variants]).update(product_id=ev.product_id, seller_id=ev.seller_id)


def price_changed(ev) -> None:
    Variant.objects.filter(sku=ev.sku, as_of__lte=ev.occurred_at).update(
        price=ev.new_price.amount, currency=ev.new_price.currency, as_of=ev.occurred_at
    )


def product_retired(ev) -> None:
    Variant.objects.filter(sku__in=ev.skus, as_of__lte=ev.occurred_at).update(active=False, as_of=ev.occurred_at)


def address_saved(ev) -> None:
    CustomerAddress.objects.update_or_create(
        address_id=ev.address_id,
        defaults={"customer_id": ev.customer_id, "address": ev.payload()["address"], "deleted": False},
    )


def address_deleted(ev) -> None:
    CustomerAddress.objects.filter(address_id=ev.address_id).update(deleted=True)


@transaction.atomic
def shipping_rates_published(ev) -> None:
    """The method codes of the newest rate table (an older revision arriving late is ignored)."""
    newest = ShippingMethod.objects.select_for_update().order_by("-revision").values_list("revision", flat=True).first()
    if newest is not None and newest > ev.revision:
        return
    ShippingMethod.objects.exclude(code__in=[m.code for m in ev.methods]).delete()
    for method in ev.methods:
        ShippingMethod.objects.update_or_create(
            code=method.code, defaults={"name": method.name, "revision": ev.revision}
        )
