"""The tax fields a cart body adds to API.md's (docs/tax.md § API): per line `tax` and
`tax_rate`, and for the cart its region, channel and `tax_lines` (tax per rate)."""

from .. import pricing, tax


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
        item["tax"] = line.tax.to_dict()
        item["tax_rate"] = None if line.tax_rate is None else str(line.tax_rate.quantize(tax.RATE_PLACES))
