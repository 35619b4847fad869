"""The one trusted answer to "which address is this client?", used by throttles, fraud
screening (through PaymentInitiated.client_ip) and log lines alike.

X-Forwarded-For is written by whoever sends the request, so it is believed only as far as
proxies we run vouch for it:

- nothing configured (TRUSTED_PROXY_COUNT=0, TRUSTED_PROXIES empty): the TCP peer, REMOTE_ADDR;
  the header is ignored entirely;
- TRUSTED_PROXY_COUNT=N: N proxies of ours sit in front and each appends the address it saw,
  so the client is the N-th entry from the right (anything further left is the client's own claim);
- TRUSTED_PROXIES=10.0.0.0/8,...: the header counts only when REMOTE_ADDR is one of them, and the
  client is the rightmost entry that is not (each trusted hop is peeled off). Takes precedence.

The answer is always a valid IP address (a malformed entry at the trusted position falls back to
REMOTE_ADDR), so it can be stored in a GenericIPAddressField.
"""

import contextvars
import ipaddress
from functools import lru_cache

from django.conf import settings

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def client_ip(request) -> str | None:
    """The client's address for a Django (or DRF) request."""
    meta = request.META
    remote = _valid(meta.get("REMOTE_ADDR", ""))
    count, proxies = settings.TRUSTED_PROXY_COUNT, _networks(tuple(settings.TRUSTED_PROXIES))
    if not count and not proxies:
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if proxies:
        if remote is None or not _trusted(remote, proxies):
            return remote  # not sent through our proxy: the header is the client's own claim
        for hop in reversed(hops):
            address = _valid(hop)
            if address is None:
                return remote
            if not _trusted(address, proxies):
                return address
        return remote
    if not hops:
        return remote
    return _valid(hops[-min(count, len(hops))]) or remote


def current_client_ip() -> str | None:
    """The address of the request being served in this context (for log lines), if any."""
    return _client_ip.get()


def bind(request):
    """Remember the request's client address for this context; returns the token to reset."""
    return _client_ip.set(client_ip(request))


def unbind(token) -> None:
    _client_ip.reset(token)


def _valid(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [IPv6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _trusted(address: str, networks) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == net.version and ip in net for net in networks)
