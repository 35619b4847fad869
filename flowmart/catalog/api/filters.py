import django_filters

from .. import selectors
from ..models import Product

ORDERINGS = {
    "price": ["price_amount", "id"],
    "-price": ["-price_amount", "-id"],
    "name": ["name", "id"],
    "-name": ["-name", "-id"],
    "created_at": ["created_at", "id"],
    "-created_at": ["-created_at", "-id"],
}


class ProductFilter(django_filters.FilterSet):
    """Storefront filters. Without `ordering`, a search lists the best matches first."""

    search = django_filters.CharFilter(method="filter_search", max_length=200)
    category = django_filters.CharFilter(method="filter_category", help_text="Category slug, subcategories included")
    seller = django_filters.CharFilter(field_name="seller__slug")
    min_price = django_filters.NumberFilter(method="filter_price", min_value=0)
    max_price = django_filters.NumberFilter(method="filter_price", min_value=0)
    in_stock = django_filters.TypedChoiceFilter(
        field_name="in_stock",
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        help_text="true: some active variant is available; false: none is",
    )
    ordering = django_filters.ChoiceFilter(
        method="filter_ordering", choices=[(key, key) for key in ORDERINGS], empty_label=None
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        return selectors.search(queryset, value)

    def filter_category(self, queryset, name, value):
        return selectors.in_category_tree(queryset, value)

    def filter_price(self, queryset, name, value):
        # Both bounds apply to the same variant, so they are combined once in filter_queryset.
        return queryset

    def filter_ordering(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, after the search ranking exists

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        low, high = self.form.cleaned_data.get("min_price"), self.form.cleaned_data.get("max_price")
        if low is not None or high is not None:
            queryset = selectors.priced_between(queryset, low, high)
        ordering = self.form.cleaned_data.get("ordering")
        if ordering:
            return queryset.order_by(*ORDERINGS[ordering])
        if self.form.cleaned_data.get("search") and "rank" in queryset.query.annotations:
            return queryset.order_by("-rank", "id")
        return queryset.order_by("-created_at", "-id")
