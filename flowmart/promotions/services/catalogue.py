"""Keep promotions' copy of the catalogue (what sales and deals target) from catalog events.

A write only applies when the event is at least as new as the stored row; after each
change the SKUs' sale offers are worked out again (a product moved into a category on
sale joins that sale) and told if they changed."""

from django.db import transaction

from flowmart.contracts.catalog import ProductPublished, ProductRetired, VariantPriceChanged

from ..models import CatalogueCategory, CatalogueProduct, CatalogueSeller, CatalogueSku
from . import sales


@transaction.atomic
def apply_product_published(ev: ProductPublished) -> None:
    stored = CatalogueProduct.objects.select_for_update().filter(pk=ev.product_id).first()
    if stored is not None and stored.as_of > ev.occurred_at:
        return
    seller, _ = CatalogueSeller.objects.update_or_create(
        seller_id=ev.seller_id, defaults={"slug": ev.seller_slug, "seller_name": ev.seller_name}
    )
    category, _ = CatalogueCategory.objects.get_or_create(slug=ev.category_slug)
    CatalogueProduct.objects.update_or_create(
        product_id=ev.product_id,
        defaults={
            "product_name": ev.product_name,
            "seller": seller,
            "category": category,
            "active": True,
            "as_of": ev.occurred_at,
        },
    )
    for v in ev.variants:
        CatalogueSku.objects.update_or_create(
            sku=v.sku,
            defaults={
                "product_id": ev.product_id,
                "variant_name": v.name,
                "price_amount": v.price.amount,
                "currency": v.price.currency,
                "active": v.active,
                "as_of": ev.occurred_at,
            },
        )
    CatalogueSku.objects.filter(product_id=ev.product_id).exclude(sku__in=[v.sku for v in ev.variants]).update(
        active=False, as_of=ev.occurred_at
    )
    sales.publish_offers(CatalogueSku.objects.filter(product_id=ev.product_id))


@transaction.atomic
def apply_price_change(ev: VariantPriceChanged) -> None:
    """Offers are rules applied to the regular price by their readers: nothing to re-tell."""
    CatalogueSku.objects.filter(sku=ev.sku, as_of__lte=ev.occurred_at).update(
        price_amount=ev.new_price.amount, currency=ev.new_price.currency, as_of=ev.occurred_at
    )


@transaction.atomic
def apply_product_retired(ev: ProductRetired) -> None:
    CatalogueProduct.objects.filter(pk=ev.product_id, as_of__lte=ev.occurred_at).update(
        active=False, as_of=ev.occurred_at
    )
    CatalogueSku.objects.filter(sku__in=ev.skus, as_of__lte=ev.occurred_at).update(active=False, as_of=ev.occurred_at)
