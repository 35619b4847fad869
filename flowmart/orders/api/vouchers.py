"""The voucher shapes of the cart body (its `vouchers` and each line's `discount`); the
endpoint is in voucher_views.py."""

from rest_framework import serializers

from flowmart.common.serializers import MoneyField, money_body


class VoucherCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100, help_text="case and spaces do not matter")


class VoucherRemovalSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=100, required=False, help_text="the code to take off (also as ?code=); none: every code"
    )


class CartVoucherSerializer(serializers.Serializer):
    """A code on the cart and what it takes off now."""

    code = serializers.CharField()
    discount = MoneyField(help_text="goods taken off; for free shipping, the shipping saved")
    applied = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=["min_spend_not_met", "no_eligible_items", "not_combinable", "other_currency"],
        allow_null=True,
        help_text="why the code takes nothing off right now (null when applied)",
    )


def with_vouchers(body: dict, totals) -> dict:
    """Add `vouchers` and each line's `discount` (its share of the vouchers) to a cart body."""
    for row, line in zip(body["items"], totals.lines, strict=True):
        row["discount"] = money_body(line.discount)
    body["vouchers"] = [
        {
            "code": outcome.terms.code,
            "discount": money_body(outcome.discount),
            "applied": outcome.applied,
            "reason": outcome.reason,
        }
        for outcome in totals.vouchers
    ]
    return body
