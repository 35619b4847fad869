"""ISO 3166-1 alpha-2 country codes and their names, so every context validates and shows
addresses the same way. The data is django-countries' (kept up to date with ISO by its
maintainers) instead of a hand-kept list."""

from django.core.exceptions import ValidationError
from django_countries import countries
from django_countries.data import COUNTRIES

COUNTRY_CODES = frozenset(COUNTRIES)


def country_name(code: str) -> str:
    """`Germany` for `DE`; the code itself when it is not a country."""
    return str(countries.name(code)) or code


def is_country_code(value: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code (upper case, as stored)."""
    return value in COUNTRY_CODES


def validate_country_code(value: str) -> None:
    """Model-field validator (admin forms); APIs upper-case their input before checking."""
    if not is_country_code(value):
        raise ValidationError("%(value)s is not an ISO 3166-1 alpha-2 country code.", params={"value": value})
