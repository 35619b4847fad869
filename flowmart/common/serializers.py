"""Serializer building blocks shared by every context's API."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import locales
from .errors import ApiError
from .money import Money, format_money, shop_currencies, shop_currency


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "amount": {"type": "string", "example": "12.50"},
            "currency": {"type": "string", "example": "USD"},
            "display": {
                "type": "string",
                "example": "$12.50",
                "description": "only when the request names a locale (`?locale=`, Accept-Language): the amount as "
                "that locale writes it",
            },
        },
    }
)
class MoneyField(serializers.Field):
    """Renders Money as {"amount": "12.50", "currency": "USD"}; read-only by design:
    prices are always computed on the server."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Money) -> dict:
        return money_body(value)


def money(amount: Decimal, currency: str) -> dict:
    return money_body(Money(amount, currency))


def money_body(value: Money | None) -> dict | None:
    """Money as the API shows it: {"amount", "currency"} (API.md), plus `display` when the
    request named a locale (`?locale=`, Accept-Language): the amount as Babel formats it
    there ("€12.50" en, "12,50 €" de). Without one the shape stays exactly API.md's."""
    if value is None:
        return None
    body = value.to_dict()
    if locales.requested() is not None:
        body["display"] = format_money(value)
    return body


class UnsupportedCurrency(ApiError):
    default_code = "unsupported_currency"
    default_detail = "The shop does not sell in this currency."


def requested_currency(code: str | None, field: str = "currency") -> str | None:
    """A `currency` parameter checked against settings.SHOP_CURRENCIES (None when not given);
    any other code is a 400 `unsupported_currency` naming the ones the shop sells in."""
    if code is None or code == "":
        return None
    sold = shop_currency(code)
    if sold is None:
        raise UnsupportedCurrency(
            f"The shop does not sell in {str(code)[:8]!r}.",
            fields={field: [f"Choose one of {', '.join(shop_currencies())}."]},
            currencies=shop_currencies(),
        )
    return sold
