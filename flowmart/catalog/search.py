"""Product search and auto-suggest: finding what shoppers type.

Search (the storefront list's `?search=`) on PostgreSQL unites three index-served matches:

- full text: `websearch_to_tsquery('english', ...)` against the stored, GIN-indexed vector
  of name (weight A) and description (B): stemmed, with web syntax (`"a phrase"`, `-word`, `or`);
- typo tolerance: every query word of 4 letters or more is near a word of the product name by
  pg_trgm word similarity (`name %> word`, GIN trigram index, the words ANDed), then kept if it
  is a slip of a whole word (strict word similarity) or starts one (`_near_the_name`), so
  `hedphones` finds "Studio Headphones", `studio hedphones` finds only those, `head` finds
  them too, and `kettle` does not find "Bottle".
  The threshold is WORD_SIMILARITY_THRESHOLD (0.4; PostgreSQL's default of 0.6 misses one-letter
  slips such as `jaket` or `keetle`), set for the request's transaction by `session()`. Shorter
  words are too short to tell a slip from another word (`tee`, `tent`) and match exactly. Only for
  plain words: a query written in web syntax means exactly what it says, so `coffee -beans`
  never brings the beans back;
- SKUs: a variant whose SKU starts with the query, case-insensitively (`UPPER(sku) LIKE 'Q%'`,
  pattern index).

They are combined as `pk IN (fts UNION ALL trigram UNION ALL sku)` rather than `OR`: each branch
keeps its own index, where an `OR` across them sends PostgreSQL to a sequential scan computing
trigrams for every product (~50 ms on 10,000 products instead of ~5). The `rank` annotation adds
ts_rank, the word similarity to the name and a SKU bonus (2 for the exact SKU, 1 for a prefix).

Elsewhere (SQLite, the embedded default) `_fallback_matching` does without extensions: every word
must occur in the name or the description, or start a SKU; a word found in no product name is
also tried as its closest name words (difflib), which catches simple typos.

Auto-suggest reads `SearchSuggestion`, a prefix table kept by the catalogue's own writes: one B-tree
range scan on a lower-cased key, no join, the same on both databases, ranked by popularity."""

import difflib
import re
from contextlib import contextmanager, nullcontext

from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramStrictWordSimilarity,
    TrigramWordSimilarity,
)
from django.db import connection, transaction
from django.db.models import Case, Exists, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual

from .models import Product, SearchSuggestion, Variant

# Quotes, a word starting with "-", or a standalone "or": the query uses websearch syntax.
_WEB_SYNTAX = re.compile(r'"|(?:^|\s)-\S|(?:^|\s)or(?:\s|$)', re.IGNORECASE)
_WORD = re.compile(r"\w+")

WORD_SIMILARITY_THRESHOLD = 0.4
STRICT_WORD_SIMILARITY = 0.35
TYPO_MIN_LENGTH = 4  # shorter words are matched exactly: "tee" is not a slip of "tent"
SUGGEST_MIN_LENGTH = 2  # one letter prefixes half the catalogue: no suggestions before the second
SUGGEST_KEY_LENGTH = 100  # a prefix longer than this stops narrowing anything


def session(text: str):
    """Evaluate a search's querysets inside this: on PostgreSQL it is one transaction with the
    typo threshold set for it alone (`set_config(..., is_local)`, safe behind a transaction-pooling
    pgbouncer). Outside it a search still works, with PostgreSQL's stricter default threshold."""
    if not settings.IS_POSTGRES or not text.strip():
        return nullcontext()
    return _typo_tolerant_transaction()


@contextmanager
def _typo_tolerant_transaction():
    with transaction.atomic():
        with connection.cursor() as cursor:
            threshold = str(WORD_SIMILARITY_THRESHOLD)
            cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [threshold])
        yield


def search(products: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Products matching `text`, annotated with `rank` (higher is better). An empty text
    leaves `products` as they are."""
    text = normalized_query(text)
    if not text:
        return products
    return ranked(products.filter(pk__in=matching(text)), text)


def normalized_query(text: str) -> str:
    return " ".join(text.split())


def matching(text: str) -> QuerySet:
    """The primary keys of the products matching a (normalized, non-empty) `text`: a subquery to
    filter any product queryset with, built once however many queries a request runs with it."""
    return _postgres_matching(text) if settings.IS_POSTGRES else _fallback_matching(text)


def ranked(products: QuerySet[Product], text: str) -> QuerySet[Product]:
    """`products` (already matching `text`) annotated with `rank`, higher is better."""
    return products.annotate(rank=_postgres_rank(text) if settings.IS_POSTGRES else _fallback_rank(text))


def by_relevance(products: QuerySet[Product]) -> QuerySet[Product]:
    """Best match first; equally good matches the most bought first."""
    return products.alias(sold=Coalesce(F("popularity__orders"), 0)).order_by("-rank", "-sold", "id")


def _plain(text: str) -> bool:
    return not _WEB_SYNTAX.search(text)


def _postgres_matching(text: str) -> QuerySet:
    query = SearchQuery(text, search_type="websearch", config="english")
    branches = [Product.objects.filter(search_vector=query).values("pk")]
    words = [word for word in _WORD.findall(text.lower()) if len(word) >= TYPO_MIN_LENGTH]
    if _plain(text) and words:
        near = Product.objects.all()
        for word in words:  # every longer word must be near a word of the name
            near = near.filter(_near_the_name(word))
        branches.append(near.values("pk"))
    if " " not in text:
        branches.append(Variant.objects.filter(active=True, sku__istartswith=text).values("product_id"))
    first, *others = [branch.order_by() for branch in branches]
    return first.union(*others, all=True) if others else first


def _postgres_rank(text: str):
    query = SearchQuery(text, search_type="websearch", config="english")
    rank = SearchRank(F("search_vector"), query)
    if _plain(text):
        rank = rank + TrigramWordSimilarity(text, "name")
    if " " not in text:
        rank = rank + _sku_bonus(text)
    return rank


def _near_the_name(word: str) -> Q:
    """`name %> word` finds the candidates through the trigram index; of those, a slip is as close
    to one whole word (strict word similarity), and a prefix starts a word. That keeps `keetle`
    (0.40) and `head`, and drops neighbours that only share trigrams: `kettle` is not "Bottle"
    (0.27), `watch` not "Waterproof" (0.21)."""
    return Q(name__trigram_word_similar=word) & (
        Q(GreaterThanOrEqual(TrigramStrictWordSimilarity(word, "name"), STRICT_WORD_SIMILARITY))
        | Q(name__iregex=r"\m" + word)  # \m: the start of a word; `word` is letters and digits only
    )


def _sku_bonus(text: str) -> Case:
    """Someone who types a SKU wants that product first."""
    variants = Variant.objects.filter(product=OuterRef("pk"), active=True)
    return Case(
        When(Exists(variants.filter(sku__iexact=text)), then=Value(2.0)),
        When(Exists(variants.filter(sku__istartswith=text)), then=Value(1.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )


def _fallback_matching(text: str) -> QuerySet:
    """Without PostgreSQL: case-insensitive substrings (so word prefixes), SKU prefixes and
    near-miss name words. Web syntax is read loosely: quotes are dropped, `-word` excludes,
    `or` is ignored (all other words must match)."""
    tokens = [token for token in text.replace('"', " ").split() if token.lower() != "or"]
    include = [token for token in tokens if not token.startswith("-")]
    exclude = [token[1:] for token in tokens if token.startswith("-") and len(token) > 1]
    vocabulary = _name_words() if include else set()
    products = Product.objects.all()
    for word in include:
        variants = Variant.objects.filter(product=OuterRef("pk"), active=True, sku__istartswith=word)
        condition = Q(name__icontains=word) | Q(description__icontains=word) | Q(Exists(variants))
        for near in _near_words(word.lower(), vocabulary):
            condition |= Q(name__icontains=near)
        products = products.filter(condition)
    for word in exclude:
        products = products.exclude(Q(name__icontains=word) | Q(description__icontains=word))
    return products.order_by().values("pk")


def _fallback_rank(text: str) -> Case:
    exact_sku = Variant.objects.filter(product=OuterRef("pk"), active=True, sku__iexact=text)
    return Case(
        When(Exists(exact_sku), then=Value(4)),
        When(name__istartswith=text, then=Value(3)),
        When(name__icontains=text, then=Value(2)),
        default=Value(1),
        output_field=IntegerField(),
    )


def _name_words() -> set[str]:
    names = Product.objects.filter(active=True).values_list("name", flat=True)
    return {word for name in names for word in _WORD.findall(name.lower())}


def _near_words(word: str, vocabulary: set[str]) -> list[str]:
    """Name words `word` is probably a misspelling of; none if it occurs in a name as it is."""
    if len(word) < 4 or any(word in known for known in vocabulary):
        return []
    return difflib.get_close_matches(word, vocabulary, n=3, cutoff=0.8)


# --- auto-suggest --------------------------------------------------------------------------


def suggestion_key(text: str) -> str:
    """How suggestion keys and typed prefixes are compared: lower case, single spaces."""
    return _normalized(text)[:SUGGEST_KEY_LENGTH]


def _normalized(text: str) -> str:
    return " ".join(text.lower().split())


def suggestion_rows(product: Product, skus: list[str], popularity: int) -> list[SearchSuggestion]:
    """The suggestion rows of one sellable product: its name from every word start (so
    `head` and `studio head` both reach "Studio Headphones"), and each active SKU."""
    name = _normalized(product.name)
    keys = sorted({name[match.start() :][:SUGGEST_KEY_LENGTH] for match in _WORD.finditer(name)})
    entries = [(key, "name", product.name) for key in keys] + [(suggestion_key(sku), "sku", sku) for sku in skus]
    return [
        SearchSuggestion(key=key, product=product, kind=kind, text=text, slug=product.slug, popularity=popularity)
        for key, kind, text in entries
    ]


def suggest(text: str, limit: int) -> list[dict]:
    """Product names, then SKUs, starting with `text`, the most bought first."""
    prefix = suggestion_key(text)
    if len(prefix) < SUGGEST_MIN_LENGTH:
        return []
    rows = (
        SearchSuggestion.objects.filter(key__startswith=prefix)
        .values("kind", "text", "product_id", "slug", "popularity")
        .distinct()  # a name reached from two of its word starts is one suggestion
        .order_by("kind", "-popularity", "text", "product_id")[:limit]
    )
    return [
        {"text": row["text"], "kind": row["kind"], "product_id": row["product_id"], "slug": row["slug"]} for row in rows
    ]
