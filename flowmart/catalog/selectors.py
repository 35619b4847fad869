"""Reads of the catalogue. The list is one query per page however large the page:
price, stock and ranking are computed in SQL, seller and category are joined."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Category, Product, Variant, VariantAvailability


def _available_of(sku_ref) -> Coalesce:
    stock = VariantAvailability.objects.filter(sku=sku_ref).values("available")[:1]
    return Coalesce(Subquery(stock, output_field=IntegerField()), Value(0))


def _in_stock_variants() -> QuerySet[Variant]:
    return Variant.objects.filter(
        product=OuterRef("pk"),
        active=True,
        sku__in=VariantAvailability.objects.filter(available__gt=0).values("sku"),
    )


def storefront_products() -> QuerySet[Product]:
    """Active products with a cheapest active price (`price_amount`, `price_currency`) and `in_stock`.
    A product whose variants are all inactive has nothing to sell, so it is not listed."""
    cheapest = Variant.objects.filter(product=OuterRef("pk"), active=True).order_by("price_amount", "id")
    return (
        Product.objects.filter(active=True)
        .filter(Exists(Variant.objects.filter(product=OuterRef("pk"), active=True)))
        .select_related("seller", "category")
        .defer("description", "search_vector", "updated_at")  # not on a product card
        .annotate(
            price_amount=Subquery(cheapest.values("price_amount")[:1]),
            price_currency=Subquery(cheapest.values("price_currency")[:1]),
            in_stock=Exists(_in_stock_variants()),
        )
    )


def product_detail(product_id: int) -> Product | None:
    """One active product with its active variants, each annotated with `available`."""
    variants = Variant.objects.filter(active=True).annotate(available=_available_of(OuterRef("sku")))
    return (
        Product.objects.filter(active=True, pk=product_id)
        .select_related("seller", "category")
        .prefetch_related(Prefetch("variants", queryset=variants.order_by("price_amount", "id")))
        .first()
    )


def search(products: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Full-text search ranked by relevance on PostgreSQL (stored, GIN-indexed vector);
    a plain substring match elsewhere (the SQLite embedded default)."""
    text = text.strip()
    if not text:
        return products
    if not settings.IS_POSTGRES:
        return products.filter(Q(name__icontains=text) | Q(description__icontains=text))
    query = SearchQuery(text, search_type="websearch", config="english")
    return products.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))


def in_category_tree(products: QuerySet[Product], slug: str) -> QuerySet[Product]:
    """Products of a category and of every category below it."""
    return products.filter(category_id__in=category_with_descendants(slug))


def category_with_descendants(slug: str) -> list[int]:
    tree = list(Category.objects.values_list("id", "slug", "parent_id"))
    root = next((cid for cid, cslug, _ in tree if cslug == slug), None)
    if root is None:
        return []
    found, frontier = [root], [root]
    while frontier:
        frontier = [cid for cid, _, parent in tree if parent in frontier]
        found += frontier
    return found


def priced_between(products: QuerySet[Product], low: Decimal | None, high: Decimal | None) -> QuerySet[Product]:
    """Products with at least one active variant whose price lies in [low, high]."""
    variants = Variant.objects.filter(product=OuterRef("pk"), active=True)
    if low is not None:
        variants = variants.filter(price_amount__gte=low)
    if high is not None:
        variants = variants.filter(price_amount__lte=high)
    return products.filter(Exists(variants))


def categories() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("name", "id")
