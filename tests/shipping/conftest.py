"""Shipping in isolation: tests build the contract events other contexts would publish
and hand them to shipping's own subscribers (without the inbox, so each handler's own
idempotency is what is tested). What shipping publishes is read back from the outbox."""

import hashlib
import hmac
import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from flowmart.contracts.common import Address, SkuQuantity
from flowmart.contracts.orders import ReturnRequested
from flowmart.events.models import OutboxEvent
from flowmart.events.registry import subscribers_for
from tests.support import contract_events

ADDRESS = Address(
    name="Ada Lovelace", line1="12 Analytical Row", line2="", city="Boston", postal_code="02108", country="US", phone=""
)


@pytest.fixture(autouse=True)
def _labels_in_tmp(settings, tmp_path):
    """Labels are written through default_storage: keep them out of the repository."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rate_table(db):
    call_command("demo_shipping", stdout=StringIO())


@pytest.fixture
def staff(make_staff):
    """Operations (the staff endpoints' per-role answers are in tests/test_staff_endpoints.py)."""
    return make_staff()


def deliver(event) -> None:
    """Run shipping's subscribers for event, each in its own transaction, as the relay would."""
    for sub in subscribers_for(event.name):
        if sub.context == "shipping":
            with transaction.atomic():
                sub.handler(event)


def published(name: str, **payload) -> list[dict]:
    """Payloads of the events named `name` in the outbox, optionally filtered by fields."""
    rows = OutboxEvent.objects.filter(name=name).order_by("id")
    return [r.payload for r in rows if all(r.payload.get(k) == v for k, v in payload.items())]


# The events of orders, inventory and payments as shipping hears them (tests/support/contract_events.py).


def order_confirmed(order_id: int, *, lines=(("SKU-A", 2), ("SKU-B", 1)), method="standard", address=ADDRESS):
    number = f"FM-{order_id:06d}"
    return contract_events.order_confirmed(
        order_id, lines, email="ada@example.com", method=method, address=address, total="30", number=number
    )


def inventory_adjusted(order_id: int, allocations, *, reason="reserved", amendment_id=None):
    """allocations: (sku, quantity, warehouse, country) tuples."""
    return contract_events.inventory_adjusted(reason, order_id, allocations, amendment_id=amendment_id)


def payment_processed(order_id: int, status="succeeded"):
    return contract_events.payment_processed(order_id, status, payment_id=order_id * 10, amount="30")


order_cancelled = contract_events.order_cancelled


def return_requested(order_id: int, lines, reason="too small"):
    return ReturnRequested(
        order_id=order_id,
        return_id=uuid.uuid4().hex,
        lines=tuple(SkuQuantity(sku=sku, quantity=q) for sku, q in lines),
        reason=reason,
        shipping_address=ADDRESS,
    )


SPLIT = (("SKU-A", 2, "US-EAST", "US"), ("SKU-B", 1, "DE-CENTRAL", "DE"))


@pytest.fixture
def paid_split_order(rate_table):
    """Order 101, confirmed, reserved in two warehouses and paid: two shipments."""
    for event in (order_confirmed(101), inventory_adjusted(101, SPLIT), payment_processed(101)):
        deliver(event)
    return 101


def carrier_update(client, carrier, body: dict, *, secret=None, signature=None):
    """POST a tracking update to the carrier webhook, signed like the carrier would sign it."""
    from django.conf import settings

    raw = json.dumps(body).encode()
    if signature is None:
        key = secret or settings.SHIPPING_CARRIER_SECRETS[carrier]
        signature = "sha256=" + hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"HTTP_X_CARRIER_SIGNATURE": signature} if signature else {}
    return client.post(
        f"/api/v1/shipping/carriers/{carrier}/webhook/", data=raw, content_type="application/json", **headers
    )


def tracking(event_id, tracking_number, status, minutes, **extra):
    at = timezone.now().replace(microsecond=0) + timezone.timedelta(minutes=minutes)
    return {
        "event_id": event_id,
        "tracking_number": tracking_number,
        "status": status,
        "occurred_at": at.isoformat(),
        **extra,
    }
