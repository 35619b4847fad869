"""Read-only screens for operations: what the recommendation counts hold (they change only
through order, catalogue and stock events, so nothing here is editable)."""

from django.contrib import admin

from flowmart.common.admin import ReadOnlyAdmin

from .models import CoPurchase, Product


@admin.register(Product)
class RecommendedProductAdmin(ReadOnlyAdmin):
    list_display = ["product_id", "product_name", "available", "retired", "trend"]
    list_filter = ["available", "retired"]
    search_fields = ["product_name", "slug"]
    ordering = ["-available", "-trend"]


@admin.register(CoPurchase)
class CoPurchaseAdmin(ReadOnlyAdmin):
    list_display = ["product_id", "other", "count"]
    search_fields = ["=product_id"]
    ordering = ["product_id", "-count"]
    show_full_result_count = False  # the table holds millions of pairs
