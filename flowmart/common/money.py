"""Money: a Decimal amount with an ISO 4217 currency. Never a float.

Amounts are rounded half-up to the currency's minor unit. Adding two amounts of
different currencies is an error, not a silent conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

# Currencies whose minor unit is not cents (ISO 4217): zero-decimal ones are charged in
# whole units (¥1,500 is 1500), three-decimal ones in thousandths (12.345 KWD is 12345).
_ZERO_DECIMAL = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV")
_ZERO_DECIMAL += ("XAF", "XOF", "XPF")
_THREE_DECIMAL = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
_MINOR_UNITS = {code: 0 for code in _ZERO_DECIMAL} | {code: 3 for code in _THREE_DECIMAL}
SUPPORTED_CURRENCIES = frozenset(
    {"USD", "EUR", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD", "NZD", "JPY", "KRW"}
)


class CurrencyMismatch(ValueError):
    pass


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if isinstance(self.amount, float):
            raise TypeError("Money never takes a float; pass a Decimal or a string")
        try:
            amount = Decimal(self.amount)
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal amount: {self.amount!r}") from exc
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "amount", quantize(amount, self.currency.upper()))
        object.__setattr__(self, "currency", self.currency.upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_dict(cls, data: dict) -> Money:
        return cls(Decimal(str(data["amount"])), data["currency"])

    def to_dict(self) -> dict:
        return {"amount": str(self.amount), "currency": self.currency}

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float):
            raise TypeError("Money never multiplies by a float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def shop_currencies() -> list[str]:
    """The currencies the shop sells in (settings.SHOP_CURRENCIES), the default one first."""
    from django.conf import settings

    default = settings.DEFAULT_CURRENCY
    return [default, *(code for code in settings.SHOP_CURRENCIES if code != default)]


def shop_currency(code: str) -> str | None:
    """`code` as the shop sells in it ("eur" → "EUR"), None when it does not."""
    code = str(code).strip().upper()
    return code if code in shop_currencies() else None


def format_money(money: Money, locale: str | None = None) -> str:
    """Money as people of `locale` write it, with Babel's CLDR data: "€12.50" (en),
    "12,50\xa0€" (de), "¥1,500" (en, no decimals), "KWD12.345". Without a locale: the one
    of the request or message being rendered (flowmart.common.locales.current)."""
    from babel.numbers import format_currency

    from .locales import babel_locale, current

    return format_currency(money.amount, money.currency, locale=babel_locale(locale or current()))


def sum_money(items, currency: str) -> Money:
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def AmountField(**kwargs) -> models.DecimalField:  # noqa: N802 - reads like a field class
    """The one column type for money amounts (paired with a 3-letter currency column)."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 3)
    return models.DecimalField(**kwargs)


def CurrencyField(**kwargs) -> models.CharField:  # noqa: N802
    kwargs.setdefault("max_length", 3)
    return models.CharField(**kwargs)
