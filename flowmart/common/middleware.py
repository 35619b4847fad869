"""Request middleware of the whole site: the correlation id, and the guard in front of /api/."""

import logging
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse
from django.urls import Resolver404, resolve

from . import client, guards, locales
from .correlation import correlation
from .errors import error_body

logger = logging.getLogger("flowmart.api")

_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class CorrelationIdMiddleware:
    """Adopt the caller's X-Request-ID (or make one) for everything this request causes, and
    remember the client's trusted address for the request's log lines."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        # It is written on every log line: never adopt one that holds a card number.
        adopt = _VALID.match(incoming) and not guards.contains_card_number(incoming)
        address = client.bind(request)
        try:
            with correlation(incoming if adopt else None) as correlation_id:
                request.correlation_id = correlation_id
                response = self.get_response(request)
        finally:
            client.unbind(address)
        response["X-Request-ID"] = correlation_id
        return response


API_PREFIX = "/api/"

# Error codes of API.md for statuses that reach the client without going through DRF's
# exception handler (Django's own 404/405/400/500 pages, plain Django views).
STATUS_CODES = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def card_scan_exempt(view):
    """Mark a view whose body comes signed from a provider (Stripe, a carrier): their ids and
    network references may be long digit runs that are not card numbers, and refusing one
    would lose the event. Size, depth and NUL limits still apply."""
    view.card_scan_exempt = True
    return view


def _exempt(request) -> bool:
    """Checked before Django routes the request, so routes not built yet are guarded too."""
    try:
        view_func = resolve(request.path_info, getattr(request, "urlconf", None)).func
    except Resolver404:
        return False
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    return getattr(view_func, "card_scan_exempt", False) or getattr(view_class, "card_scan_exempt", False)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class ApiInputGuardMiddleware:
    """Hostile input stops here for every /api/ route, before any view, serializer or query
    sees it (see flowmart.common.guards for the rules):

    - bodies over DATA_UPLOAD_MAX_MEMORY_SIZE → 413 payload_too_large (DEBUG or not);
    - NUL characters in the path, a query parameter, a header or a JSON string → 400;
    - JSON nested deeper than API_MAX_JSON_DEPTH → 400 (instead of a RecursionError);
    - a card number in the path, a query parameter or anywhere in the body → 400, and the
      refusal is logged without the request's path or values.

    It runs before Django routes the request, so a route added later is guarded without
    doing anything; views whose bodies come signed from a provider opt out of the card scan
    only (`card_scan_exempt`).

    On the way out, any /api/ error that is not JSON yet (Django's 404/405/500 pages, DEBUG's
    technical pages, plain views) becomes the JSON error body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        refusal = self._refuse_request(request) or self._refuse_body(request)
        response = refusal or self.get_response(request)
        if response.status_code >= 400 and not _is_json(response.get("Content-Type", "")):
            response = _as_json_error(response)
        return response

    def _refuse_request(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _too_large(request)
        try:
            _check_request_line(request)
        except TooManyFieldsSent:
            return _refused(request, 400, "validation_error", "Too many query parameters.")
        except guards.Refused as refused:
            return _refused(request, 400, "validation_error", refused.message, refused.where)
        return None

    def _refuse_body(self, request):
        try:
            body = request.body
        except RequestDataTooBig:
            return _too_large(request)
        if not body:
            return None
        try:
            try:
                _check_body(request, body, cards=True)
            except guards.Refused as refused:
                # Routing the request again is paid only by a body that holds a card number: a view
                # whose bodies come signed from a provider may take one (the other rules still apply).
                if refused.message != guards.CARD_MESSAGE or not _exempt(request):
                    raise
                _check_body(request, body, cards=False)
        except guards.Refused as refused:
            return _refused(request, 400, "validation_error", refused.message, refused.where)
        return None


def _check_body(request, body: bytes, cards: bool) -> None:
    if not _is_json(request.content_type or ""):
        guards.check_text(body.decode("utf-8", "replace"), "body", cards)
        return
    try:
        guards.load_json(body, settings.API_MAX_JSON_DEPTH, cards=cards)
    except guards.Refused:
        raise
    except ValueError:
        # Malformed: the view's parser answers it; only the raw text is checked here.
        guards.check_text(body.decode("utf-8", "replace"), "body", cards)


def _check_request_line(request) -> None:
    guards.check_text(guards.without_ids(request.path), "path")
    for name, values in request.GET.lists():
        guards.check_text(name)  # a bad name is never repeated: it is what was refused
        for value in values:
            guards.check_text(value, name)
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str):
            guards.check_text(value, name[5:].replace("_", "-").title(), cards=False)


def _refused(request, status: int, code: str, message: str, where: str = "") -> JsonResponse:
    top, _, rest = where.partition(".")
    fields = {top: [f"{rest}: {message}" if rest else message]} if top and top not in ("body", "path") else None
    response = JsonResponse(error_body(code, message, fields), status=status)
    # Django would log "Bad Request: <path>", and the path may be what we refused.
    response._has_been_logged = True
    logger.warning(
        "refused %s %s: %s%s",
        request.method,
        guards.redact(request.path),
        message,
        f" (in {where})" if where else "",
    )
    return response


def _too_large(request) -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _refused(request, 413, "payload_too_large", f"Request bodies are limited to {limit} bytes.")


def _as_json_error(response) -> JsonResponse:
    status = response.status_code
    if status >= 500:
        body = error_body("server_error", "Something went wrong on our side.")
    else:
        body = error_body(STATUS_CODES.get(status, "error"), response.reason_phrase or "Error.")
    replacement = JsonResponse(body, status=status)
    for header in ("Allow", "Retry-After", "WWW-Authenticate", "X-Request-ID"):
        if header in response:
            replacement[header] = response[header]
    replacement._has_been_logged = getattr(response, "_has_been_logged", False)
    return replacement


class DisplayLocaleMiddleware:
    """The locale amounts are shown in for this request (the `display` of Money in the API):
    `?locale=de` first, else the first Accept-Language Babel knows, else settings.LANGUAGE_CODE.
    An unknown `?locale=` is a 400, as any bad parameter; messages and error texts stay English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        asked = request.GET.get("locale")
        if asked is not None and locales.parse(asked) is None:
            return _refused(request, 400, "validation_error", f"Unknown locale {asked[:35]!r}.", "locale")
        tag = asked or locales.from_accept_language(request.headers.get("Accept-Language", ""))
        token = locales.activate(tag)
        try:
            return self.get_response(request)
        finally:
            locales.reset(token)
