"""Reads of the catalogue. The list is one query per page however large the page:
price, stock and ranking are computed in SQL, seller and category are joined. Search and
auto-suggest live in catalog/search.py, facet counts in catalog/facets.py."""

from decimal import Decimal

from django.db.models import Exists, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from . import currencies, facets
from . import search as product_search
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


def storefront_products(currency: str | None = None) -> QuerySet[Product]:
    """Active products with a cheapest active price (`price_amount`, `price_currency`), `in_stock` and the rating.
    A product whose variants are all inactive has nothing to sell, so it is not listed.
    With a `currency`: prices in it, and only products with a variant sold in it (catalog.currencies)."""
    products = (
        Product.objects.filter(active=True)
        .filter(Exists(Variant.objects.filter(product=OuterRef("pk"), active=True)))
        .select_related("seller", "category")
        .defer("description", "search_vector", "updated_at")  # not on a product card
        .annotate(in_stock=Exists(_in_stock_variants()), **_rating())
    )
    if currency is not None:
        return currencies.with_cheapest_in(products, currency)
    cheapest = Variant.objects.filter(product=OuterRef("pk"), active=True).order_by("price_amount", "id")
    return products.annotate(
        price_amount=Subquery(cheapest.values("price_amount")[:1]),
        price_currency=Subquery(cheapest.values("price_currency")[:1]),
    )


def _rating() -> dict:
    """`rating_average` (None: no visible review) and `rating_count`, from reviews' events (ProductRating)."""
    return {"rating_average": F("rating__average"), "rating_count": Coalesce(F("rating__count"), Value(0))}


def product_detail(product_id: int, currency: str | None = None) -> Product | None:
    """One active product with its active variants, each annotated with `available`. With a
    `currency`: only the variants sold in it, at their price in it (catalog.currencies)."""
    variants = Variant.objects.filter(active=True).annotate(available=_available_of(OuterRef("sku")))
    order = ["price_amount", "id"]
    if currency is not None:
        variants, order = variants.annotate(listed_price=currencies.price_in(currency)), ["listed_price", "id"]
    product = (
        Product.objects.filter(active=True, pk=product_id)
        .annotate(**_rating())
        .select_related("seller", "category")
        .prefetch_related(Prefetch("variants", queryset=variants.order_by(*order)))
        .first()
    )
    return currencies.show_in(product, currency) if product is not None and currency is not None else product


def search(products: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Products matching what a shopper typed (names, descriptions, SKUs; typo-tolerant),
    annotated with `rank`. How: catalog/search.py."""
    return product_search.search(products, text)


def search_matches(text: str) -> QuerySet | None:
    """The ids of the products matching `text` (a subquery), None for an empty text: build it
    once and filter every query of a request with it (`pk__in`)."""
    text = product_search.normalized_query(text)
    return product_search.matching(text) if text else None


def ranked(products: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Matching products annotated with `rank` (for ordering by relevance)."""
    return product_search.ranked(products, product_search.normalized_query(text))


def search_session(text: str):
    """A context to evaluate the querysets of a search of `text` in (typo tolerance on PostgreSQL)."""
    return product_search.session(text)


def by_relevance(products: QuerySet[Product]) -> QuerySet[Product]:
    """Searched products, best match first, then the most bought."""
    return product_search.by_relevance(products)


def facet_counts(narrowed, tree: dict, currency: str | None = None) -> dict[str, list[dict]]:
    """Facets of the product list; `narrowed(params)` filters ignoring `params`. How: catalog/facets.py."""
    return facets.count_all(narrowed, tree, currency)


def suggest(text: str, limit: int = 8) -> list[dict]:
    """Auto-suggest: product names, then SKUs, starting with `text`, the most bought first."""
    return product_search.suggest(text, limit)


def in_category_tree(products: QuerySet[Product], slug: str, tree: dict | None = None) -> QuerySet[Product]:
    """Products of a category and of every category below it."""
    return products.filter(category_id__in=category_with_descendants(slug, tree))


def category_tree() -> dict[int, dict]:
    """Every category as {id: {"id", "slug", "name", "parent_id"}}: one query, the tree is small."""
    return {row["id"]: row for row in Category.objects.values("id", "slug", "name", "parent_id")}


def category_with_descendants(slug: str, tree: dict | None = None) -> list[int]:
    """The category's id and those of every category below it (a parent loop made in the
    admin ends the walk instead of hanging the request)."""
    tree = category_tree() if tree is None else tree
    root = next((cid for cid, row in tree.items() if row["slug"] == slug), None)
    if root is None:
        return []
    found, frontier = [root], {root}
    while frontier:
        frontier = {cid for cid, row in tree.items() if row["parent_id"] in frontier} - set(found)
        found += sorted(frontier)
    return found


def priced_between(
    products: QuerySet[Product], low: Decimal | None, high: Decimal | None, currency: str | None = None
) -> QuerySet[Product]:
    """Products with at least one active variant whose price (in `currency`, if given) lies in [low, high]."""
    if currency is not None:
        variants, amount = currencies.priced_variants(currency, product=OuterRef("pk"), active=True), "listed_price"
    else:
        variants, amount = Variant.objects.filter(product=OuterRef("pk"), active=True), "price_amount"
    if low is not None:
        variants = variants.filter(**{f"{amount}__gte": low})
    if high is not None:
        variants = variants.filter(**{f"{amount}__lte": high})
    return products.filter(Exists(variants))


def categories() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("name", "id")
