"""Provider registry: `get_gateway("dummy" | "stripe")`. A provider is available only
when configured (stripe needs STRIPE_SECRET_KEY); anything else is ProviderUnavailable."""

from django.conf import settings

from .base import (
    ChargeOutcome,
    ChargeRequest,
    Gateway,
    GatewayError,
    PaymentMethodInfo,
    ProviderCharge,
    ProviderRefused,
    ProviderUnavailable,
    RefundOutcome,
)

__all__ = [
    "ChargeOutcome",
    "ChargeRequest",
    "Gateway",
    "GatewayError",
    "PaymentMethodInfo",
    "ProviderRefused",
    "ProviderCharge",
    "ProviderUnavailable",
    "RefundOutcome",
    "available_providers",
    "get_gateway",
]


def available_providers() -> list[str]:
    providers = ["dummy"]
    if settings.STRIPE_SECRET_KEY:
        providers.append("stripe")
    return providers


def get_gateway(provider: str) -> Gateway:
    if provider not in available_providers():
        raise ProviderUnavailable(f"payment provider {provider!r} is not available")
    if provider == "stripe":
        from .stripe_gateway import StripeGateway

        return StripeGateway.from_settings()
    from .dummy import DummyGateway

    return DummyGateway()
