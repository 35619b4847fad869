"""A small shop with plans, and helpers that drive subscriptions through the public API and
the billing run's clock (`billing_run --as-of`)."""

import io
import uuid
from datetime import datetime

import pytest
from django.core.management import call_command

from flowmart.subscriptions.models import Plan, Subscription
from tests.flows.conftest import ADDRESS_US, RELAXED_FRAUD, register, shop

__all__ = ["ADDRESS_US", "register", "shop"]


@pytest.fixture(autouse=True)
def _relaxed_fraud(settings):
    # The ladder's retries are days apart on the billing clock but seconds apart on the wall
    # clock here: the "failed payments in the last hour" rule would hold them for review.
    settings.PAYMENTS_FRAUD = {**RELAXED_FRAUD, "MAX_FAILED_PER_CUSTOMER": 10_000}


@pytest.fixture
def plans(shop):
    """Monthly 10 % on FLOW-RED, every 2 weeks 15 % on FLOW-RED, monthly 5 % on FLOW-BLUE."""
    return {
        "red_monthly": make_plan("FLOW-RED", "month", 1, 10),
        "red_fortnightly": make_plan("FLOW-RED", "week", 2, 15),
        "blue_monthly": make_plan("FLOW-BLUE", "month", 1, 5),
    }


def make_plan(sku: str, interval: str, count: int, discount: int, **extra) -> Plan:
    from flowmart.subscriptions.models import Variant

    variant = Variant.objects.get(sku=sku)
    return Plan.objects.create(
        name=f"{sku} every {count} {interval}",
        sku=sku,
        product_id=variant.product_id,
        seller_id=variant.seller_id,
        interval=interval,
        interval_count=count,
        discount_percent=discount,
        **extra,
    )


def subscribe(client, plan: Plan, *, quantity=1, payment_method="pm_card_visa", provider="dummy", **extra) -> dict:
    body = {
        "plan_id": plan.pk,
        "quantity": quantity,
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": provider, "payment_method": payment_method},
        **extra,
    }
    response = client.post("/api/v1/subscriptions/", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    return response.json()


def detail(client, sub_id) -> dict:
    response = client.get(f"/api/v1/subscriptions/{sub_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def billing_run(as_of: datetime | str) -> str:
    out = io.StringIO()
    moment = as_of if isinstance(as_of, str) else as_of.isoformat()
    call_command("billing_run", "--as-of", moment, stdout=out)
    return out.getvalue()


def next_billing(sub_id) -> datetime:
    return Subscription.objects.get(pk=sub_id).next_billing_at
