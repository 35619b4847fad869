"""Tax rates in the back office: operations enter and change the rates the local tax
provider (tax.RatesTableProvider) charges, per country, region and product tax class.

A change applies to carts and checkouts from then on; orders already placed keep the rate
and amount of each line (an amendment re-prices the amended order at the rates of its day)."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from flowmart.common import display
from flowmart.common.countries import country_name

from .models import TaxRate
from .tax import order_tax_lines


@admin.display(description="tax per rate")
def tax_breakdown(model_admin, order) -> str:
    """The order page's tax per rate (what the customer's order shows as `tax_lines`)."""
    parts = order_tax_lines(order, order.lines.all())
    if not parts:
        return "—"
    return "; ".join(
        f"{t['name'] or 'untaxed'} ({t['rate'] * 100:.2f} %): {display.money(t['amount'].amount, order.currency)}"
        for t in parts
    )


@admin.register(TaxRate)
class TaxRateAdmin(ModelAdmin):
    list_display = ["country_display", "region_display", "tax_class", "percent", "name", "updated_at"]
    list_filter = ["tax_class", "country"]
    search_fields = ["country", "region", "name"]
    ordering = ["country", "region", "tax_class"]
    readonly_fields = ["updated_at"]
    fields = ["country", "region", "tax_class", "rate", "name", "updated_at"]

    @admin.display(description="country", ordering="country")
    def country_display(self, rate):
        return f"{country_name(rate.country)} ({rate.country})"

    @admin.display(description="region", ordering="region")
    def region_display(self, rate):
        return rate.region or "whole country"

    @admin.display(description="rate")
    def percent(self, rate):
        return f"{rate.rate * 100:.2f} %"
