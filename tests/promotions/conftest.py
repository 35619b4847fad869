"""A small real shop for sales and deals: the catalogue, inventory and shipping services seed
it, promotions is driven through its services (as its admin does), and everything a shopper
sees goes through the public API. Every context's subscribers run (eager, after commit)."""

import uuid
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from flowmart.catalog import services as catalog
from flowmart.common.money import Money
from flowmart.inventory import services as inventory
from flowmart.inventory.models import Warehouse
from flowmart.promotions.models import CatalogueProduct, CatalogueSeller, LightningDeal, Sale
from flowmart.promotions.services import deals, sales

ADDRESS_US = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "line2": "",
    "city": "Newark",
    "postal_code": "07102",
    "country": "US",
    "phone": "+15555550100",
}


@pytest.fixture
def shop(transactional_db, settings):
    """Two sellers. Mugs (seller A, category mugs): MUG-RED 20.00, MUG-BLUE 35.00;
    Lamp (seller B, category lamps): LAMP-1 50.00. 500 of each in stock."""
    settings.PAYMENTS_FRAUD = {
        **settings.PAYMENTS_FRAUD,
        "MAX_ORDERS_PER_CARD": 10_000,
        "MAX_ORDERS_PER_IP": 10_000,
        "MAX_ORDERS_PER_CUSTOMER": 10_000,
    }
    call_command("demo_shipping", stdout=open("/dev/null", "w"))  # noqa: SIM115
    Warehouse.objects.create(
        code="US-EAST", name="Newark", country="US", latitude=Decimal("40.73"), longitude=Decimal("-74.17")
    )
    seller_a = catalog.create_seller(slug="seller-a", name="Seller A")
    seller_b = catalog.create_seller(slug="seller-b", name="Seller B")
    mugs = catalog.create_category(slug="mugs", name="Mugs")
    lamps = catalog.create_category(slug="lamps", name="Lamps")
    mug = catalog.create_product(
        seller=seller_a,
        category=mugs,
        name="Mug",
        slug="mug",
        variants=[
            {"sku": "MUG-RED", "name": "red", "price": usd("20.00"), "weight_grams": 400},
            {"sku": "MUG-BLUE", "name": "blue", "price": usd("35.00"), "weight_grams": 400},
        ],
    )
    lamp = catalog.create_product(
        seller=seller_b,
        category=lamps,
        name="Lamp",
        slug="lamp",
        variants=[{"sku": "LAMP-1", "name": "lamp", "price": usd("50.00"), "weight_grams": 900}],
    )
    for sku in ("MUG-RED", "MUG-BLUE", "LAMP-1"):
        inventory.receive_stock(sku=sku, warehouse_code="US-EAST", quantity=500, reason="promotions test")
    return SimpleNamespace(mug=mug, lamp=lamp, seller_a=seller_a, seller_b=seller_b)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def window(start_minutes=-5, end_minutes=60):
    now = timezone.now()
    return now + timedelta(minutes=start_minutes), now + timedelta(minutes=end_minutes)


def make_sale(
    name="Sale", percent=None, amount=None, products=(), categories=(), sellers=(), seller_id=None, **times
) -> Sale:
    """Schedule a sale as the admin does (save, then tell catalog and orders)."""
    starts_at, ends_at = window(**times)
    with transaction.atomic():
        sale = Sale.objects.create(
            name=name,
            seller_id=seller_id,
            percent_off=None if percent is None else Decimal(percent),
            amount_off=None if amount is None else Decimal(amount),
            currency="USD" if amount is not None else "",
            starts_at=starts_at,
            ends_at=ends_at,
        )
        sale.products.set(CatalogueProduct.objects.filter(pk__in=[p.pk for p in products]))
        sale.categories.set(categories)
        sale.sellers.set(CatalogueSeller.objects.filter(pk__in=[s.pk for s in sellers]))
        sales.sale_changed(sale, set())
    return sale


def make_deal(sku="MUG-RED", price="10.00", units=10, **times) -> LightningDeal:
    starts_at, ends_at = window(**times)
    with transaction.atomic():
        deal = LightningDeal(sku_id=sku, price_amount=Decimal(price), units=units, starts_at=starts_at, ends_at=ends_at)
        deal.seller_id, deal.currency = deal.sku.product.seller_id, "USD"
        deal.save()
        deals.deal_changed(deal)
    return deal


def register() -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/register/", {"email": f"buyer-{uuid.uuid4().hex[:8]}@example.com", "password": "Buyer-pass-123"}
    )
    assert response.status_code == 201, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    return client


def fill_cart(client: APIClient, lines: dict[str, int]) -> int:
    cart_id = client.post("/api/v1/carts/").json()["id"]
    for sku, quantity in lines.items():
        response = client.post(f"/api/v1/carts/{cart_id}/items/", {"sku": sku, "quantity": quantity})
        assert response.status_code == 201, response.content
    return cart_id


def checkout(client: APIClient, cart_id: int, payment_method="pm_card_visa"):
    body = {
        "cart_id": cart_id,
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": payment_method},
    }
    return client.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def product(product_id: int) -> dict:
    response = APIClient().get(f"/api/v1/products/{product_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def listed(product_id: int) -> dict:
    response = APIClient().get("/api/v1/products/")
    assert response.status_code == 200, response.content
    return next(p for p in response.json()["results"] if p["id"] == product_id)
