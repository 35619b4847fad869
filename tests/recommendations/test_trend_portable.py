"""The embedded default (SQLite, `make run`) adds trend row by row; it must add the same
log-sum-exp as PostgreSQL's single UPDATE (which SQLite cannot parse: FOR UPDATE, UPDATE … FROM)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from flowmart.recommendations import trend
from flowmart.recommendations.models import Product
from flowmart.recommendations.services import orders

pytestmark = pytest.mark.django_db


def product(pid: int) -> Product:
    return Product.objects.create(
        product_id=pid, product_name=f"P{pid}", slug=f"p{pid}", price_amount=1, price_currency="USD",
        available=True, as_of=timezone.now(),
    )  # fmt: skip


def test_row_by_row_trend_equals_the_postgresql_update():
    product(1), product(2)
    now = timezone.now()
    for at, quantity in ((now - timedelta(days=3), 2), (now, 5), (now - timedelta(hours=1), 1)):
        with transaction.atomic():
            orders._add_trend({1: quantity}, at)
            base = trend.log_weight(at)
            orders._add_trend_per_row({2: quantity}, base, [2])
    one, two = (Product.objects.get(product_id=p).trend for p in (1, 2))
    assert one is not None and abs(one - two) < 1e-9
