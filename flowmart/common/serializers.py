"""Serializer building blocks shared by every context's API."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .money import Money


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "amount": {"type": "string", "example": "12.50"},
            "currency": {"type": "string", "example": "USD"},
        },
    }
)
class MoneyField(serializers.Field):
    """Renders Money as {"amount": "12.50", "currency": "USD"}; read-only by design:
    prices are always computed on the server."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Money) -> dict:
        return value.to_dict()


def money(amount: Decimal, currency: str) -> dict:
    return Money(amount, currency).to_dict()
