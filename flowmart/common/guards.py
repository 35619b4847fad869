"""What hostile input looks like, as plain functions (no Django here, so gunicorn's access
logger can use them too).

- Card numbers: FlowMart never accepts one (only provider ids such as pm_card_visa). A card
  number is a run of 13–19 digits, optionally split into groups by single spaces or dashes
  ("4242 4242 4242 4242", "4000-0566-5566-5556"), that passes the Luhn check. Runs longer
  than 19 digits (tracking numbers, large ids) are not cards and are not taken apart, but
  any sequence of whole groups inside a grouped run is checked, so a trailing group cannot
  hide a card ("4242 4242 4242 4242 1").
- NUL characters: PostgreSQL cannot store them in text, so they would fail deep inside a
  query; they are refused at the door instead.
- Deep JSON: CPython's parser recurses, so JSON nested thousands deep raises RecursionError.
  `load_json` turns that into a plain ValueError and refuses anything deeper than asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import unquote

CARD_MIN_DIGITS, CARD_MAX_DIGITS = 13, 19
_DIGIT_CHAIN = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*")
_SEPARATOR = re.compile(r"[ -]")
REDACTED = "[card number removed]"

CARD_MESSAGE = "Card numbers are never accepted: send a payment method id from the provider (pm_...)."
NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters."


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_in_chain(chain: str) -> bool:
    groups = _SEPARATOR.split(chain)
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > CARD_MAX_DIGITS:
                break
            if len(digits) >= CARD_MIN_DIGITS and luhn_valid(digits):
                return True
    return False


def _card_chains(text: str) -> Iterator[re.Match]:
    for match in _DIGIT_CHAIN.finditer(text):
        if sum(ch.isdigit() for ch in match.group()) >= CARD_MIN_DIGITS and _card_in_chain(match.group()):
            yield match


# Identifiers FlowMart makes itself (uuid4 hex, with or without dashes) as whole path segments:
# one in fifty or so holds a Luhn-valid run of 13+ digits by chance, and refusing it as a card
# would fail a real request at random.
_ID_SEGMENT = re.compile(r"(?<=/)(?:[0-9a-f]{32}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})(?=/|$)", re.IGNORECASE)


def without_ids(path: str) -> str:
    """The path with the segments that are generated ids blanked, for the card check."""
    return _ID_SEGMENT.sub("id", path)


def contains_card_number(text: str) -> bool:
    return next(_card_chains(text), None) is not None


def redact(text: str) -> str:
    """text with every digit run that holds a card number replaced (for log lines)."""
    if not contains_card_number(text):
        return text
    return _DIGIT_CHAIN.sub(lambda m: REDACTED if _card_in_chain(m.group()) else m.group(), text)


def redact_url(text: str) -> str:
    """A URL or query string for a log line: decoded and redacted if it hides a card number."""
    decoded = unquote(text.replace("+", " "))
    return redact(decoded) if contains_card_number(decoded) else text


class Refused(ValueError):
    """The input breaks one of the rules above. `where` names the offending field (a JSON
    path such as "payment.payment_method", or a query parameter), never its value."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(message)
        self.message, self.where = message, where


def check_text(text: str, where: str = "", cards: bool = True) -> None:
    if "\x00" in text:
        raise Refused(NUL_MESSAGE, where)
    if cards and contains_card_number(text):
        raise Refused(CARD_MESSAGE, where)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def load_json(raw: bytes | str, max_depth: int, cards: bool = False):
    """Parse JSON strictly (no NaN/Infinity) and check it (check_json). Raises ValueError:
    json.JSONDecodeError (or UnicodeDecodeError) for malformed input, Refused for the rules."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise Refused(f"JSON may be nested at most {max_depth} levels deep.") from None
    check_json(data, max_depth, cards)
    return data


def check_json(data, max_depth: int, cards: bool = True) -> None:
    """Walk parsed JSON without recursion: depth, NUL characters in keys and strings, and
    (with cards) card numbers in strings and integers."""
    stack = [(data, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, dict | list):
            if depth >= max_depth:
                raise Refused(f"JSON may be nested at most {max_depth} levels deep.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    check_text(key, where, cards)  # a bad key is never named: it is what was refused
                stack.append((item, depth + 1, f"{where}.{key}" if where else str(key)))
        elif isinstance(value, str):
            check_text(value, where, cards)
        elif cards and isinstance(value, int) and not isinstance(value, bool):
            check_text(str(abs(value)), where)
