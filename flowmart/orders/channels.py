"""Sales channels: where a cart is sold decides how its prices are read.

A channel is configured in settings.ORDERS_CHANNELS ({code: {"prices_include_tax": bool}}).
In a tax-inclusive channel the catalogue price is gross: the tax is extracted from it and the
total does not grow; in a tax-exclusive one the price is net and tax is added (docs/tax.md).
Kept in settings, not a table: channels change with deployments (a storefront, a marketplace
feed), not with day-to-day operations.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Channel:
    code: str
    prices_include_tax: bool = False


def default_channel_code() -> str:
    return settings.ORDERS_DEFAULT_CHANNEL


def is_channel(code: str) -> bool:
    return code in settings.ORDERS_CHANNELS


def channel(code: str | None) -> Channel:
    """The channel named `code`; a code no longer configured (or none) reads as the default one."""
    configured = settings.ORDERS_CHANNELS
    if not code or code not in configured:
        code = default_channel_code()
    options = configured.get(code) or {}
    return Channel(code=code, prices_include_tax=bool(options.get("prices_include_tax", False)))
