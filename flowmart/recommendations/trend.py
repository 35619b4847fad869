"""The trend score's clock: a paid order's weight decays with a half-life, kept in log space
against a fixed epoch so stored scores never need rescaling.

Below both services (which add weights when an order is counted) and selectors (which read
scores as of now): the one formula both sides must agree on."""

import math
from datetime import UTC, datetime

from django.conf import settings

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def half_life_seconds() -> float:
    return settings.RECOMMENDATIONS_TRENDING_HALF_LIFE_HOURS * 3600.0


def log_weight(at: datetime) -> float:
    """log(2^((at − EPOCH) / half-life)): an order's weight relative to the fixed epoch, in log space."""
    return (at - EPOCH).total_seconds() * math.log(2) / half_life_seconds()
