"""What tax adds to API.md's shapes (docs/tax.md § API), kept apart from serializers.py: the
tax-per-rate object, the channel a new cart may name, and the cart body's tax fields (per
line `tax` and `tax_rate`; for the cart its region, channel and `tax_lines`)."""

from rest_framework import serializers

from flowmart.common.serializers import MoneyField, money_body

from .. import pricing, tax


class TaxLineSerializer(serializers.Serializer):
    """The tax of the lines taxed at one rate (docs/tax.md)."""

    name = serializers.CharField()
    rate = serializers.DecimalField(max_digits=6, decimal_places=4, help_text="a fraction: 0.1900 is 19 %")
    amount = MoneyField()


class CartCreateSerializer(serializers.Serializer):
    channel = serializers.CharField(
        max_length=30, required=False, help_text="the sales channel to sell through (default: the shop's)"
    )


def cart_fields(cart, totals: pricing.Totals) -> dict:
    return {
        "shipping_region": cart.shipping_region or None,
        "channel": cart.channel,
        "prices_include_tax": totals.prices_include_tax,
        "tax_lines": tax.tax_lines_body(totals.tax_lines),
    }


def add_line_tax(items: list[dict], totals: pricing.Totals) -> None:
    """Each serialized cart item gets its line's tax (after the line's discount share)."""
    for item, line in zip(items, totals.lines, strict=True):
        item["tax"] = money_body(line.tax)
        item["tax_rate"] = None if line.tax_rate is None else str(line.tax_rate.quantize(tax.RATE_PLACES))
