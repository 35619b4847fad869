"""Template filters for messages: money and times as the recipient's locale writes them."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats, translation
from django.utils.dateparse import parse_datetime

from flowmart.common.money import Money, format_money

register = template.Library()


@register.filter
def money(value) -> str:
    """{"amount": "1234.50", "currency": "EUR"} (or Money) as the message's language writes it,
    with Babel: "€1,234.50" (en), "1.234,50 €" (de), "¥1,500" (en)."""
    if not value:
        return ""
    try:
        amount = value if isinstance(value, Money) else Money(Decimal(str(value["amount"])), str(value["currency"]))
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return str(value)
    return format_money(amount, translation.get_language())


@register.filter
def when(value, fmt: str = "DATETIME_FORMAT") -> str:
    """An ISO 8601 time (as events carry it) in the active locale's format."""
    if not value:
        return ""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    return formats.date_format(moment, fmt, use_l10n=True)
