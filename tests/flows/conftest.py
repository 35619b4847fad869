"""A small real shop for end-to-end flows: every context's own services seed it, and every
step afterwards goes through the public API (or the staff API where operations act)."""

import hashlib
import hmac
import json
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from flowmart.catalog import services as catalog
from flowmart.common.money import Money
from flowmart.customers.models import ApiToken
from flowmart.inventory import services as inventory
from flowmart.inventory.models import StockLevel, Warehouse

ADDRESS_US = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "line2": "",
    "city": "Newark",
    "postal_code": "07102",
    "country": "US",
    "phone": "+15555550100",
}

# Every order in these flows comes from one IP and one test card: lift velocity limits so
# screening judges each order on its own (fraud rules have their own tests).
RELAXED_FRAUD = {
    **settings.PAYMENTS_FRAUD,
    "MAX_ORDERS_PER_CARD": 10_000,
    "MAX_ORDERS_PER_IP": 10_000,
    "MAX_ORDERS_PER_CUSTOMER": 10_000,
}


@pytest.fixture(autouse=True)
def _relaxed_fraud(settings):
    settings.PAYMENTS_FRAUD = RELAXED_FRAUD


@pytest.fixture
def shop(transactional_db):
    """Rates, two warehouses and two variants:
    FLOW-RED (20.00, 10 in US-EAST) and FLOW-BLUE (35.00, 2 in US-EAST + 5 in DE-CENTRAL)."""
    call_command("demo_shipping", stdout=open("/dev/null", "w"))  # noqa: SIM115
    Warehouse.objects.create(
        code="US-EAST", name="Newark", country="US", latitude=Decimal("40.73"), longitude=Decimal("-74.17")
    )
    Warehouse.objects.create(
        code="DE-CENTRAL", name="Kassel", country="DE", latitude=Decimal("51.31"), longitude=Decimal("9.48")
    )
    seller = catalog.create_seller(slug="flow-seller", name="Flow Seller")
    category = catalog.create_category(slug="flow", name="Flow")
    product = catalog.create_product(
        seller=seller,
        category=category,
        name="Flow Mug",
        slug="flow-mug",
        variants=[
            {"sku": "FLOW-RED", "name": "red", "price": Money(Decimal("20.00"), "USD"), "weight_grams": 400},
            {"sku": "FLOW-BLUE", "name": "blue", "price": Money(Decimal("35.00"), "USD"), "weight_grams": 400},
        ],
    )
    for sku, code, qty in [("FLOW-RED", "US-EAST", 10), ("FLOW-BLUE", "US-EAST", 2), ("FLOW-BLUE", "DE-CENTRAL", 5)]:
        inventory.receive_stock(sku=sku, warehouse_code=code, quantity=qty, reason="flow test")
    return SimpleNamespace(product=product, seller=seller)


@pytest.fixture
def staff(transactional_db):
    user = get_user_model().objects.create_user(
        email=f"ops-{uuid.uuid4().hex[:6]}@flowmart.local", password="Ops-pass-123", is_staff=True, is_superuser=True
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)[1]}")
    return client


def register(client: APIClient | None = None) -> APIClient:
    client = client or APIClient()
    response = client.post(
        "/api/v1/auth/register/", {"email": f"buyer-{uuid.uuid4().hex[:8]}@example.com", "password": "Buyer-pass-123"}
    )
    assert response.status_code == 201, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    return client


def checkout(
    client: APIClient,
    lines: dict[str, int],
    payment_method: str = "pm_card_visa",
    address: dict = ADDRESS_US,
    method: str = "standard",
) -> dict:
    cart = client.post("/api/v1/carts/").json()
    for sku, quantity in lines.items():
        response = client.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": sku, "quantity": quantity})
        assert response.status_code == 201, response.content
    body = {
        "cart_id": cart["id"],
        "shipping_address": address,
        "shipping_method": method,
        "payment": {"provider": "dummy", "payment_method": payment_method},
    }
    response = client.post("/api/v1/checkout/", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    return response.json()


def order(client: APIClient, order_id) -> dict:
    response = client.get(f"/api/v1/orders/{order_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def carrier_update(shipment: dict, status: str, **extra):
    """POST a signed tracking update as the carrier would."""
    carrier = shipment["carrier"]
    body = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "tracking_number": shipment["tracking_number"],
            "status": status,
            "occurred_at": "2030-01-01T00:00:00Z",
            **extra,
        }
    ).encode()
    secret = settings.SHIPPING_CARRIER_SECRETS[carrier]
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return APIClient().generic(
        "POST",
        f"/api/v1/shipping/carriers/{carrier}/webhook/",
        body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=signature,
    )


def stock(sku: str) -> dict[str, tuple[int, int]]:
    """{warehouse: (on_hand, reserved)} for one SKU."""
    return {
        s.warehouse.code: (s.on_hand, s.reserved)
        for s in StockLevel.objects.filter(sku=sku).select_related("warehouse")
    }


def ledgers_balance() -> None:
    """Both invariant checks pass: stock ledger and money ledger."""
    call_command("check_inventory", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("check_payments_ledger", stdout=open("/dev/null", "w"))  # noqa: SIM115
