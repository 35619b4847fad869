"""Splitting an amount over weights to the minor unit, the parts summing exactly to it
(largest remainder): an order's discount over its lines, a refund over the lines it is about."""

from decimal import ROUND_DOWN, Decimal

from flowmart.common.money import minor_units, quantize


def allocate(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """`total` split in proportion to `weights`; equal parts when every weight is zero."""
    if not weights:
        return []
    unit = Decimal(1).scaleb(-minor_units(currency))
    base = sum(weights, Decimal(0))
    if base == 0:
        weights, base = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [total * w / base for w in weights]
    parts = [x.quantize(unit, rounding=ROUND_DOWN) for x in exact]
    left = int(((total - sum(parts, Decimal(0))) / unit).to_integral_value())
    step = unit if left >= 0 else -unit
    by_remainder = sorted(range(len(parts)), key=lambda i: abs(exact[i] - parts[i]), reverse=True)
    for i in by_remainder[: abs(left)]:
        parts[i] += step
    return parts


def share(amount: Decimal, part: Decimal, whole: Decimal, currency: str) -> Decimal:
    """amount × part / whole, rounded half-up to the minor unit (0 when whole is 0)."""
    return quantize(amount * part / whole, currency) if whole else Decimal(0)
