"""The API's only parser: JSON, strict, depth-limited (see flowmart.common.guards).

DRF's own JSONParser hands the body to json.load, which raises RecursionError (a 500) on
JSON nested a few thousand deep; this one answers 400 instead. Forms are not parsed at
all: a body of another media type is 415 unsupported_media_type."""

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from . import guards


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return guards.load_json(raw, settings.API_MAX_JSON_DEPTH)
        except guards.Refused as refused:
            raise ParseError(refused.message) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {_reason(exc)}") from None


def _reason(exc: ValueError) -> str:
    """The parser's complaint without echoing the body."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno} column {exc.colno})"
    return "the body is not UTF-8 JSON"
