"""How billing shows an amount to people (PDFs, admin): the one place to swap for the shared
locale-aware (Babel) formatter once it exists."""

from decimal import Decimal

from flowmart.common.money import Money


def format_money(amount: Decimal, currency: str) -> str:
    return str(Money(amount, currency))
