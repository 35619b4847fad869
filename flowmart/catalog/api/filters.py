import django_filters
from django.db.models import F

from flowmart.common.serializers import requested_currency

from .. import selectors
from ..models import Product

ORDERINGS = {
    "price": ["price_amount", "id"],
    "-price": ["-price_amount", "-id"],
    "name": ["name", "id"],
    "-name": ["-name", "-id"],
    "created_at": ["created_at", "id"],
    "-created_at": ["-created_at", "-id"],
    # Unrated products come last either way: "no review" is neither a good nor a bad rating.
    "rating": [F("rating_average").asc(nulls_last=True), "rating_count", "id"],
    "-rating": [F("rating_average").desc(nulls_last=True), "-rating_count", "-id"],
}
PRICE_PARAMS = ("min_price", "max_price")


class ProductFilter(django_filters.FilterSet):
    """Storefront filters. Without `ordering`, a search lists the best matches first (relevance,
    then the most bought). `narrowed()` applies all but some filters: the facets need that."""

    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Words of a product's name or description, or the start of a SKU. Typo-tolerant on PostgreSQL; "
        'web syntax: "a phrase", -excluded, or. Results come best match first unless `ordering` is given.',
    )
    category = django_filters.CharFilter(method="filter_category", help_text="Category slug, subcategories included")
    seller = django_filters.CharFilter(field_name="seller__slug", help_text="Seller slug")
    min_price = django_filters.NumberFilter(
        method="filter_price", min_value=0, help_text="Some active variant costs at least this"
    )
    max_price = django_filters.NumberFilter(
        method="filter_price", min_value=0, help_text="Some active variant costs at most this"
    )
    in_stock = django_filters.TypedChoiceFilter(
        field_name="in_stock",
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        help_text="true: some active variant is available; false: none is",
    )
    min_rating = django_filters.NumberFilter(
        field_name="rating__average",
        lookup_expr="gte",
        min_value=1,
        max_value=5,
        help_text="Average rating of the visible reviews at least this (1–5); unrated products are left out",
    )
    currency = django_filters.CharFilter(
        method="filter_currency",
        max_length=3,
        help_text="Show prices in this currency of the shop (settings.SHOP_CURRENCIES); products not sold in it are "
        "left out, and min_price/max_price, ordering by price and the price facet use its prices. Another code: "
        "400 unsupported_currency.",
    )
    ordering = django_filters.ChoiceFilter(
        method="filter_ordering", choices=[(key, key) for key in ORDERINGS], empty_label=None
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        """The match subquery is built once per request: the page, the count and every facet use it."""
        if not hasattr(self, "_search_matches"):
            self._search_matches = selectors.search_matches(value)
        return queryset if self._search_matches is None else queryset.filter(pk__in=self._search_matches)

    def filter_category(self, queryset, name, value):
        return selectors.in_category_tree(queryset, value, self.category_tree())

    def filter_price(self, queryset, name, value):
        # Both bounds apply to the same variant, so they are combined once in narrowed().
        return queryset

    def filter_currency(self, queryset, name, value):
        return queryset  # the view lists prices in it (selectors.storefront_products)

    @property
    def shown_currency(self) -> str | None:
        return requested_currency(self.form.cleaned_data.get("currency"))

    def filter_ordering(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, after the search ranking exists

    def category_tree(self) -> dict:
        """Read once per request: the category filter and the category facet both need it."""
        if not hasattr(self, "_category_tree"):
            self._category_tree = selectors.category_tree()
        return self._category_tree

    def narrowed(self, skip: tuple[str, ...] = ()):
        """The queryset searched and filtered by every parameter except those in `skip`, unordered."""
        queryset = self.queryset
        for name, value in self.form.cleaned_data.items():
            if name not in skip and name not in PRICE_PARAMS:
                queryset = self.filters[name].filter(queryset, value)
        if not set(PRICE_PARAMS) & set(skip):
            low, high = (self.form.cleaned_data.get(param) for param in PRICE_PARAMS)
            if low is not None or high is not None:
                queryset = selectors.priced_between(queryset, low, high, self.shown_currency)
        return queryset

    def filter_queryset(self, queryset):
        queryset = self.narrowed()
        ordering = self.form.cleaned_data.get("ordering")
        if ordering:
            return queryset.order_by(*ORDERINGS[ordering])
        if getattr(self, "_search_matches", None) is not None:
            return selectors.by_relevance(selectors.ranked(queryset, self.form.cleaned_data["search"]))
        return queryset.order_by("-created_at", "-id")

    def facets(self) -> dict[str, list[dict]]:
        return selectors.facet_counts(self.narrowed, self.category_tree(), self.shown_currency)
