"""Facet counts for the storefront product list: how many products each filter value would
list, next to the page itself (`facets` in the list answer).

Facets are disjunctive, as shoppers expect from a filter sidebar: each one is counted with
the search and every *other* filter applied, but not its own, so after picking a category
the other categories still show what they would list. Each facet costs one query (the
category facet reads the category tree too, once per request), whatever the page size or
the number of matching products.

To add a facet (ratings, once reviews exist): write a counting function over the filtered
products and add a `Facet` to FACETS naming the filter parameters it stands for. The API
serializer documents its shape (catalog/api/serializers.py, FacetsSerializer)."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from . import currencies
from .models import Product, Variant

# Price buckets, from each edge up to (not including) the next; the last one is open-ended.
# Amounts are compared as the min_price/max_price filters compare them, whatever the currency.
PRICE_EDGES = (Decimal("0"), Decimal("25"), Decimal("50"), Decimal("100"), Decimal("200"), Decimal("500"))


@dataclass(frozen=True)
class Facet:
    name: str
    params: tuple[str, ...]  # the list filters it counts for, left out while counting it
    count: Callable[[QuerySet[Product], dict], list[dict]]  # (filtered products, category tree) -> buckets


def count_categories(products: QuerySet[Product], tree: dict) -> list[dict]:
    """Per category, the products in it or below it (the `category` filter includes
    subcategories, so a count is what choosing that category would list)."""
    counts: dict[int, int] = {}
    for row in products.order_by().values("category_id").annotate(n=Count("pk")):
        for category_id in _with_ancestors(row["category_id"], tree):
            counts[category_id] = counts.get(category_id, 0) + row["n"]
    buckets = [
        {
            "slug": tree[cid]["slug"],
            "name": tree[cid]["name"],
            "parent": tree[parent]["slug"] if (parent := tree[cid]["parent_id"]) in tree else None,
            "count": n,
        }
        for cid, n in counts.items()
    ]
    return sorted(buckets, key=lambda b: (-b["count"], b["name"], b["slug"]))


def _with_ancestors(category_id: int, tree: dict) -> list[int]:
    """The category and those above it. Nothing stops staff from making a parent loop in the
    admin, and a category may appear after the tree was read: neither may hang or break the list."""
    found: list[int] = []
    while category_id in tree and category_id not in found:
        found.append(category_id)
        category_id = tree[category_id]["parent_id"]
    return found


def count_sellers(products: QuerySet[Product], tree: dict) -> list[dict]:
    rows = products.order_by().values("seller__slug", "seller__name").annotate(n=Count("pk"))
    buckets = [{"slug": r["seller__slug"], "name": r["seller__name"], "count": r["n"]} for r in rows]
    return sorted(buckets, key=lambda b: (-b["count"], b["name"], b["slug"]))


def count_prices(products: QuerySet[Product], tree: dict, currency: str | None = None) -> list[dict]:
    """Products with an active variant in each bucket: what min_price=...&max_price=... lists
    (a product with variants at 20 and 60 counts in two buckets); with `?currency=`, its prices."""
    amount = "price_amount" if currency is None else "listed_price"
    bucket = Case(
        *(When(**{f"{amount}__lt": edge}, then=Value(i - 1)) for i, edge in enumerate(PRICE_EDGES) if i),
        default=Value(len(PRICE_EDGES) - 1),
        output_field=IntegerField(),
    )
    variants = Variant.objects if currency is None else currencies.priced_variants(currency)
    rows = (
        variants.filter(active=True, product__in=products.order_by().values("pk"))
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(n=Count("product_id", distinct=True))
    )
    counts = {row["bucket"]: row["n"] for row in rows}
    return [
        {
            "min_price": f"{PRICE_EDGES[i]:.2f}",
            "max_price": f"{PRICE_EDGES[i + 1]:.2f}" if i + 1 < len(PRICE_EDGES) else None,
            "count": counts[i],
        }
        for i in sorted(counts)
    ]


def count_stock(products: QuerySet[Product], tree: dict) -> list[dict]:
    rows = products.order_by().values("in_stock").annotate(n=Count("pk"))
    counts = {row["in_stock"]: row["n"] for row in rows}
    return [{"value": value, "count": counts[value]} for value in (True, False) if value in counts]


FACETS = (
    Facet("category", ("category",), count_categories),
    Facet("seller", ("seller",), count_sellers),
    Facet("price", ("min_price", "max_price"), count_prices),
    Facet("in_stock", ("in_stock",), count_stock),
)


def count_all(
    narrowed: Callable[[tuple[str, ...]], QuerySet[Product]], tree: dict, currency: str | None = None
) -> dict[str, list[dict]]:
    """Every facet's buckets (values without any product left out). `narrowed(params)` gives
    the searched and filtered products, ignoring the filters named in `params`; the price
    buckets count prices in `currency` when the list was asked in one."""
    counts = {facet.name: facet.count for facet in FACETS}
    if currency is not None:
        counts["price"] = functools.partial(count_prices, currency=currency)
    return {facet.name: [b for b in counts[facet.name](narrowed(facet.params), tree) if b["count"]] for facet in FACETS}
