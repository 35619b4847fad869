import re

from . import client
from .correlation import correlation

_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class CorrelationIdMiddleware:
    """Adopt the caller's X-Request-ID (or make one) for everything this request causes, and
    remember the client's trusted address for the request's log lines."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        address = client.bind(request)
        try:
            with correlation(incoming if _VALID.match(incoming) else None) as correlation_id:
                request.correlation_id = correlation_id
                response = self.get_response(request)
        finally:
            client.unbind(address)
        response["X-Request-ID"] = correlation_id
        return response
