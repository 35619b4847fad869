"""How the back office shows things to people: money as the staff member's locale writes it
(Babel: symbol, grouping and the currency's own decimals), statuses as coloured badges,
addresses as addresses with country names.

Amounts are stored with three decimals (flowmart.common.money.AmountField) so that shares
of a line add up; people read the currency's minor unit (two for EUR, none for JPY, three
for KWD), rounded half-up like an invoice."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import format_html, format_html_join

from .countries import country_name
from .money import Money, format_money

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "SEK": "kr ", "DKK": "kr ", "NOK": "kr "}
CENT = Decimal("0.01")

GREEN = {"paid", "delivered", "done", "succeeded", "received", "approved", "active", "sent", "captured"}
BLUE = {"shipped", "dispatched", "in_transit", "initiated", "awaiting_payment", "created", "requested"}
AMBER = {"pending", "on_hold", "requires_action", "partially_refunded", "review", "held", "sending", "open"}
RED = {"cancelled", "failed", "dead", "voided", "delivery_failed", "disputed", "rejected", "fraudulent", "blocked"}
COLOURS = [(GREEN, "#166534", "#dcfce7"), (BLUE, "#1e40af", "#dbeafe"), (AMBER, "#92400e", "#fef3c7")]
COLOURS.append((RED, "#991b1b", "#fee2e2"))


def money(amount, currency: str) -> str:
    """`€1,724.27` for (Decimal("1724.270"), "EUR") in English, `1.724,27 €` in German,
    `¥1,500` for yen; an em dash for no amount."""
    if amount is None:
        return "—"
    try:
        return format_money(Money(Decimal(amount), currency))
    except ValueError:  # not a currency code Money accepts: shown plainly rather than not at all
        pass
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    symbol = SYMBOLS.get(currency, f"{currency} ")
    return f"{sign}{symbol}{abs(value):,.2f}"


def badge(status: str | None, label: str | None = None):
    """A status as a coloured pill (grey when the word is unknown)."""
    if not status:
        return "—"
    fg, bg = next(((f, b) for words, f, b in COLOURS if status in words), ("#374151", "#f3f4f6"))
    return format_html(
        '<span class="fm-badge" data-status="{}" style="color:{};background:{};padding:2px 8px;'
        'border-radius:9999px;font-size:11px;font-weight:600;white-space:nowrap">{}</span>',
        status,
        fg,
        bg,
        label or status.replace("_", " "),
    )


ADDRESS_ORDER = ("name", "line1", "line2", "postal_code_city", "region", "country", "phone")


def address(data: dict | None):
    """An address dict (as orders and shipping keep it) as lines, the country by name."""
    if not data:
        return "—"
    parts = dict(data)
    parts["postal_code_city"] = " ".join(p for p in (parts.get("postal_code"), parts.get("city")) if p)
    if parts.get("country"):
        parts["country"] = country_name(parts["country"])
    rows = [(parts[k],) for k in ADDRESS_ORDER if parts.get(k)]
    return format_html('<address style="font-style:normal">{}</address>', format_html_join("", "{}<br>", rows))
