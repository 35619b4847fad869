"""Writes of the catalogue. Every change to a product or its variants goes through
`_changing()`, which compares the product before and after and publishes, in the same
transaction, what orders and subscriptions need for their projections:
ProductPublished (whole product, while it is sellable), VariantPriceChanged, ProductRetired.
It also refreshes the product's search vector and auto-suggest rows in that transaction.
The admin uses the same entry points (`state_of` + `record_change`).

Seller memberships (who works for which seller) change only here too, each change
publishing the user's whole list of sellers as SellerStaffChanged."""

from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.utils import timezone

from flowmart.common.money import Money
from flowmart.contracts.catalog import (
    ProductPublished,
    ProductRetired,
    SellerChanged,
    SellerStaffChanged,
    VariantPriceChanged,
    VariantSnapshot,
)
from flowmart.contracts.inventory import StockLevel
from flowmart.events import publish

from . import cache, search
from .models import (
    Category,
    Product,
    ProductPopularity,
    SearchSuggestion,
    Seller,
    SellerMember,
    Variant,
    VariantAvailability,
    VariantPrice,
)

STAFF_LOCK_NAMESPACE = 0x43617431  # "Cat1": catalog's own advisory-lock space


@dataclass(frozen=True)
class ProductState:
    """What the other contexts have been told about a product: sellable or not, and prices."""

    active: bool
    prices: dict[str, Money]
    # Every price of each SKU (default and price lists), as VariantPriceChanged.prices carries them.
    all_prices: dict[str, tuple[Money, ...]] = field(default_factory=dict)


def state_of(product: Product) -> ProductState | None:
    """The product as stored now (locked until the transaction ends); None if not saved yet."""
    if product.pk is None:
        return None
    stored = Product.objects.select_for_update().filter(pk=product.pk).values_list("active", flat=True).first()
    if stored is None:
        return None
    variants = list(Variant.objects.filter(product_id=product.pk).prefetch_related("list_prices"))
    return ProductState(
        active=stored, prices={v.sku: v.price for v in variants}, all_prices={v.sku: v.all_prices() for v in variants}
    )


def record_change(product: Product, before: ProductState | None) -> None:
    """Publish what changed since `before`; call after the writes, inside their transaction."""
    with transaction.atomic():
        cache.invalidate_on_commit()
        _refresh_search_vector(product.pk)
        product = Product.objects.select_related("seller", "category").get(pk=product.pk)
        variants = list(Variant.objects.filter(product=product).order_by("id").prefetch_related("list_prices"))
        _refresh_suggestions(product, variants)
        old_prices = before.prices if before else {}
        old_lists = before.all_prices if before else {}
        for variant in variants:
            old = old_prices.get(variant.sku)
            prices = variant.all_prices()
            if old is not None and (old != variant.price or old_lists.get(variant.sku) != prices):
                publish(
                    VariantPriceChanged(
                        product_id=product.pk, sku=variant.sku, old_price=old, new_price=variant.price, prices=prices
                    )
                )
        if product.active:
            publish(_published(product, variants))
        elif before is not None and before.active:
            publish(ProductRetired(product_id=product.pk, skus=tuple(v.sku for v in variants)))


@contextmanager
def _changing(product: Product):
    with transaction.atomic():
        before = state_of(product)
        yield
        record_change(product, before)


def _published(product: Product, variants: list[Variant]) -> ProductPublished:
    return ProductPublished(
        product_id=product.pk,
        product_name=product.name,
        slug=product.slug,
        seller_id=product.seller_id,
        seller_slug=product.seller.slug,
        seller_name=product.seller.name,
        category_slug=product.category.slug,
        tax_class=product.tax_class,
        variants=tuple(
            VariantSnapshot(
                sku=v.sku,
                name=f"{product.name} — {v.name}",
                price=v.price,
                prices=v.all_prices(),
                weight_grams=v.weight_grams,
                attributes=v.attributes,
                active=product.active and v.active,
            )
            for v in variants
        ),
    )


def _refresh_search_vector(product_id: int) -> None:
    """Keep the stored tsvector (GIN-indexed) in step with name and description."""
    _update_search_vectors(Product.objects.filter(pk=product_id))


def _update_search_vectors(products) -> None:
    if not settings.IS_POSTGRES:
        return
    vector = SearchVector("name", weight="A", config="english") + SearchVector(
        "description", weight="B", config="english"
    )
    products.update(search_vector=vector)


def _refresh_suggestions(product: Product, variants: list[Variant]) -> None:
    """Auto-suggest offers what the storefront lists: active products with an active variant.
    Runs with the product row locked (state_of), as record_order counts a sale: so the
    popularity copied here is never one that a concurrent sale is about to change."""
    SearchSuggestion.objects.filter(product=product).delete()
    skus = [v.sku for v in variants if v.active]
    if product.active and skus:
        popularity = ProductPopularity.objects.filter(product=product).values_list("orders", flat=True).first()
        SearchSuggestion.objects.bulk_create(search.suggestion_rows(product, skus, popularity or 0))


def rebuild_search_index() -> int:
    """Recompute every product's search vector and auto-suggest rows, for data written without
    the services (a bulk import, a restore). Returns the number of suggestion rows."""
    with transaction.atomic():
        _update_search_vectors(Product.objects.all())
        SearchSuggestion.objects.all().delete()
        popularity = dict(ProductPopularity.objects.values_list("product_id", "orders"))
        skus: dict[int, list[str]] = {}
        for product_id, sku in Variant.objects.filter(active=True).order_by("id").values_list("product_id", "sku"):
            skus.setdefault(product_id, []).append(sku)
        rows = [
            row
            for product in Product.objects.filter(active=True).only("id", "name", "slug").iterator()
            if product.pk in skus
            for row in search.suggestion_rows(product, skus[product.pk], popularity.get(product.pk, 0))
        ]
        SearchSuggestion.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- sellers and categories ------------------------------------------------------------


def create_seller(*, slug: str, name: str, contact_email: str = "") -> Seller:
    return save_seller(Seller(slug=slug, name=name, contact_email=contact_email))


def save_seller(seller: Seller) -> Seller:
    """Create or change a seller (the admin uses it too) and tell the other contexts."""
    with transaction.atomic():
        seller.save()
        publish(
            SellerChanged(
                seller_id=seller.pk, slug=seller.slug, seller_name=seller.name, contact_email=seller.contact_email
            )
        )
    return seller


def add_seller_member(seller: Seller, user_id: int) -> SellerMember:
    """The user works for the seller (their staff see its products, stock and parcels)."""
    with transaction.atomic():
        _lock_memberships_of(user_id)
        member, created = SellerMember.objects.get_or_create(seller=seller, user_id=user_id)
        if created:
            _publish_sellers_of(user_id)
    return member


def remove_seller_member(seller: Seller, user_id: int) -> bool:
    """The user no longer works for the seller. False when they did not."""
    with transaction.atomic():
        _lock_memberships_of(user_id)
        removed, _ = SellerMember.objects.filter(seller=seller, user_id=user_id).delete()
        if removed:
            _publish_sellers_of(user_id)
    return bool(removed)


def announce_seller_staff(user_ids: Iterable[int]) -> None:
    """Publish the current sellers of each user, after memberships were written elsewhere
    in this transaction (the admin's member inline, a deleted seller)."""
    with transaction.atomic():
        for user_id in sorted(set(user_ids)):
            _lock_memberships_of(user_id)
            _publish_sellers_of(user_id)


def delete_seller(seller: Seller) -> None:
    """Only a seller without products can go (products are PROTECTed); its staff lose it."""
    with transaction.atomic():
        members = list(seller.members.values_list("user_id", flat=True))
        seller.delete()
        announce_seller_staff(members)


def _lock_memberships_of(user_id: int) -> None:
    """One membership change per user at a time, so the events leave in the order the
    changes commit (each carries the whole list; subscribers keep the newest)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [STAFF_LOCK_NAMESPACE, user_id % 2**31])


def _publish_sellers_of(user_id: int) -> None:
    seller_ids = SellerMember.objects.filter(user_id=user_id).order_by("seller_id").values_list("seller_id", flat=True)
    publish(SellerStaffChanged(user_id=user_id, seller_ids=tuple(seller_ids)))


def create_category(*, slug: str, name: str, parent: Category | None = None) -> Category:
    with transaction.atomic():
        cache.invalidate_on_commit()
        return Category.objects.create(slug=slug, name=name, parent=parent)


# --- products and variants -------------------------------------------------------------


def create_product(
    *,
    seller: Seller,
    category: Category,
    name: str,
    slug: str,
    description: str = "",
    image_urls: Iterable[str] = (),
    active: bool = True,
    variants: Iterable[dict] = (),
) -> Product:
    """A product with its variants (dicts of Variant fields, `price` as Money)."""
    product = Product(
        seller=seller,
        category=category,
        name=name,
        slug=slug,
        description=description,
        image_urls=list(image_urls),
        active=active,
    )
    with _changing(product):
        product.save()
        for fields in variants:
            _new_variant(product, **fields)
    return product


def update_product(product: Product, **changes) -> Product:
    with _changing(product):
        for field, value in changes.items():
            setattr(product, field, value)
        product.save()
    return product


def retire_product(product: Product) -> Product:
    """No longer sellable: orders stops accepting its SKUs."""
    return update_product(product, active=False)


def activate_product(product: Product) -> Product:
    return update_product(product, active=True)


def add_variant(product: Product, **fields) -> Variant:
    with _changing(product):
        variant = _new_variant(product, **fields)
    return variant


def update_variant(variant: Variant, *, prices: Iterable[Money] | None = None, **changes) -> Variant:
    """Change a variant (`price` as Money; `prices`: its whole price list, other currencies);
    a new price in any currency also publishes VariantPriceChanged."""
    with _changing(variant.product):
        for name, value in changes.items():
            setattr(variant, name, value)
        variant.save()
        if prices is not None:
            _set_price_list(variant, prices)
    return variant


def set_price_list(variant: Variant, prices: Iterable[Money]) -> Variant:
    """Replace the variant's prices in the shop's other currencies (one Money per currency)."""
    return update_variant(variant, prices=prices)


def _new_variant(product: Product, *, price: Money, prices: Iterable[Money] = (), **fields) -> Variant:
    variant = Variant(product=product, **fields)
    variant.price = price
    variant.save()
    _set_price_list(variant, prices)
    return variant


def _set_price_list(variant: Variant, prices: Iterable[Money]) -> None:
    """Entries are checked like the admin's (VariantPrice.clean): a currency the shop sells in,
    not the default price's, with the currency's decimals."""
    entries = {}
    for money in prices:
        entry = VariantPrice(variant=variant, currency=money.currency, amount=money.amount)
        entry.clean()
        entries[entry.currency] = entry
    VariantPrice.objects.filter(variant=variant).exclude(currency__in=list(entries)).delete()
    for entry in entries.values():
        VariantPrice.objects.update_or_create(
            variant=variant, currency=entry.currency, defaults={"amount": entry.amount}
        )


# --- availability projection -----------------------------------------------------------


def record_stock_levels(levels: Iterable[StockLevel], as_of: datetime) -> None:
    """Store inventory's reported availability per SKU, ignoring reports older than what we hold.
    No savepoint of its own: in the subscriber's transaction a failure fails the delivery anyway
    (and get_or_create keeps its own for the race it handles)."""
    with transaction.atomic(savepoint=False):
        cache.invalidate_on_commit()
        for level in levels:
            updated = VariantAvailability.objects.filter(sku=level.sku, as_of__lte=as_of).update(
                available=level.available, as_of=as_of
            )
            if not updated:
                VariantAvailability.objects.get_or_create(
                    sku=level.sku, defaults={"available": level.available, "as_of": as_of}
                )


# --- popularity projection -------------------------------------------------------------


def record_order(lines: Iterable[tuple[str, int]]) -> None:
    """Count one confirmed order, given its (sku, quantity) lines: +1 order for each product
    it contains, + the units. SKUs this catalogue does not know are ignored. Products are
    counted in primary-key order, so concurrent orders never deadlock on their rows.
    No savepoint of its own: in the subscriber's transaction a failure fails the delivery."""
    quantities: Counter[str] = Counter()
    for sku, quantity in lines:
        quantities[sku] += quantity
    if settings.IS_POSTGRES and len(quantities) == 1:  # most orders: the SKU's product found in the count
        [(sku, quantity)] = quantities.items()
        now = ProductPopularity._meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection)
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            cursor.execute(_COUNT_SKU, [sku, quantity, now])
        return
    units: Counter[int] = Counter()
    for product_id, sku in Variant.objects.filter(sku__in=quantities).values_list("product_id", "sku"):
        units[product_id] += quantities[sku]
    with transaction.atomic(savepoint=False):
        for product_id in sorted(units):
            _count_sale(product_id, units[product_id])


def _count_sale(product_id: int, units: int) -> None:
    """Locks the product row first, as catalogue writes do (state_of): the suggestion rows they
    rebuild and the popularity copied into them here can then never cross. One statement on
    PostgreSQL (lock, upsert the count, copy it into the suggestions); on SQLite, whose writers
    the database serialises anyway, the upsert and the copy."""
    now = ProductPopularity._meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        if settings.IS_POSTGRES:
            cursor.execute(_COUNT, [product_id, units, now])
        else:
            cursor.execute(f"WITH locked AS (SELECT %s AS id) {_UPSERT}", [product_id, units, now])
            cursor.execute(_COPY, [product_id, product_id])


_PRODUCT, _POPULARITY, _SUGGESTION, _VARIANT = (
    m._meta.db_table for m in (Product, ProductPopularity, SearchSuggestion, Variant)
)
# From `locked`; `WHERE true`: SQLite's parser needs a WHERE before an upsert's ON CONFLICT.
_UPSERT = f"""INSERT INTO {_POPULARITY} AS p (product_id, orders, units, updated_at)
SELECT id, 1, %s, %s FROM locked WHERE true ON CONFLICT (product_id) DO UPDATE
SET orders = p.orders + 1, units = p.units + excluded.units, updated_at = excluded.updated_at"""
# The product's lock (`locked`) is taken before the count it guards is written and copied.
_COUNTED = f"""counted AS ({_UPSERT} RETURNING p.product_id, p.orders)
UPDATE {_SUGGESTION} AS s SET popularity = counted.orders FROM counted WHERE s.product_id = counted.product_id"""
_COUNT = f"WITH locked AS (SELECT id FROM {_PRODUCT} WHERE id = %s FOR UPDATE), {_COUNTED}"
# The same for one SKU, whose product is looked up in the lock (none: a SKU we do not sell).
_COUNT_SKU = (
    f"WITH locked AS (SELECT p.id FROM {_PRODUCT} AS p JOIN {_VARIANT} AS v ON v.product_id = p.id "
    f"WHERE v.sku = %s FOR UPDATE OF p), {_COUNTED}"
)
_COPY = f"""UPDATE {_SUGGESTION} SET popularity = (SELECT orders FROM {_POPULARITY} WHERE product_id = %s)
WHERE product_id = %s"""
