from rest_framework.throttling import SimpleRateThrottle


class AuthThrottle(SimpleRateThrottle):
    """Registration and login attempts per client address (rate: DEFAULT_THROTTLE_RATES["auth"]),
    counted whether or not the caller sends a token, so password guessing stays slow."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
