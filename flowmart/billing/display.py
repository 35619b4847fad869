"""How billing shows an amount to people (PDFs, admin): Babel's currency formatting in the
locale being rendered (flowmart.common.money.format_money; the shop's LANGUAGE_CODE when no
request names one), so an invoice reads "$49.25" or "49,25 €" as its readers write money."""

from decimal import Decimal

from flowmart.common.money import Money
from flowmart.common.money import format_money as format_shared


def format_money(amount: Decimal, currency: str) -> str:
    return format_shared(Money(amount, currency))
