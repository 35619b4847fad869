"""Which locale amounts are shown in (Babel's currency formatting, flowmart.common.money.format_money).

An API request chooses it with `?locale=de` or its Accept-Language header
(DisplayLocaleMiddleware keeps it for the request), and only then does the API add the
formatted `display` to its Money values; a message being rendered uses the
language it is rendered in (notifications activate the recipient's); otherwise
settings.LANGUAGE_CODE. Only the display changes: amounts and currencies stay as they are."""

from contextvars import ContextVar

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils import translation

_requested: ContextVar[str | None] = ContextVar("display_locale", default=None)


def current() -> str:
    """The locale to show amounts in right now."""
    return _requested.get() or translation.get_language() or settings.LANGUAGE_CODE


def requested() -> str | None:
    """The locale the API request named (`?locale=` or Accept-Language), None when it named none."""
    return _requested.get()


def babel_locale(tag: str) -> Locale:
    """A Babel locale for a language tag ("de", "en-us", "fr_CH"); the site's for an unknown one."""
    parsed = parse(tag)
    return parsed if parsed is not None else Locale.parse(settings.LANGUAGE_CODE.replace("-", "_"))


def parse(tag: str | None) -> Locale | None:
    """The Babel locale a tag names, None when it names none."""
    if not tag or len(tag) > 35:
        return None
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def from_accept_language(header: str) -> str | None:
    """The first locale of an Accept-Language header (by quality) that Babel knows."""
    choices = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            choices.append((-quality, position, tag))
    for _, _, tag in sorted(choices):
        if parse(tag) is not None:
            return tag
    return None


def activate(tag: str | None):
    """Show amounts in `tag` until the returned token is given to `reset`."""
    return _requested.set(tag)


def reset(token) -> None:
    _requested.reset(token)
