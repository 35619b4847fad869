"""Template filters for messages: money and times as the recipient's locale writes them."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.dateparse import parse_datetime

from flowmart.common.money import minor_units

register = template.Library()


@register.filter
def money(value) -> str:
    """{"amount": "1234.50", "currency": "EUR"} → "1,234.50 EUR" (en) / "1.234,50 EUR" (de)."""
    if not value:
        return ""
    try:
        amount = Decimal(str(value["amount"]))
        currency = str(value["currency"])
    except (KeyError, TypeError, InvalidOperation):
        return str(value)
    number = formats.number_format(amount, decimal_pos=minor_units(currency), use_l10n=True, force_grouping=True)
    return f"{number} {currency}"


@register.filter
def when(value, fmt: str = "DATETIME_FORMAT") -> str:
    """An ISO 8601 time (as events carry it) in the active locale's format."""
    if not value:
        return ""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    return formats.date_format(moment, fmt, use_l10n=True)
