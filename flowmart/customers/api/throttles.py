"""The customers API's limits (flowmart/common/throttling.py: atomic counters, trusted address)."""

from flowmart.common.throttling import AddressRateLimit, by_address


class AuthThrottle(AddressRateLimit):
    """Registration and login attempts per client address (rate: DEFAULT_THROTTLE_RATES["auth"]),
    counted whether or not the caller sends a token, so password guessing stays slow."""

    scope = "auth"


RegisterThrottle = by_address("register")  # new accounts per client address
