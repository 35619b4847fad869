"""Shipping's copy of SKU weights, kept from ProductPublished: what a real carrier needs to
price and label a parcel (the simulated carriers do not ask)."""

from flowmart.shipping.models import SkuWeight


def keep_sku_weights(event) -> None:
    """Upsert each variant's weight unless a newer ProductPublished wrote it already."""
    for variant in event.variants:
        row = SkuWeight.objects.select_for_update().filter(sku=variant.sku).first()
        if row is None:
            SkuWeight.objects.create(sku=variant.sku, weight_grams=variant.weight_grams, as_of=event.occurred_at)
        elif row.as_of <= event.occurred_at:
            row.weight_grams, row.as_of = variant.weight_grams, event.occurred_at
            row.save(update_fields=["weight_grams", "as_of"])
