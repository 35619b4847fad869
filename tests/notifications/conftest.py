"""Notifications in isolation: tests publish the events other contexts would publish, and
only the notifications context's subscribers are wired (unless a test says otherwise).
Providers are local fakes on loopback (fakes.py); sending goes through the real libraries."""

import itertools
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction

from flowmart.common.money import Money
from flowmart.contracts.catalog import ProductPublished, SellerChanged, VariantSnapshot
from flowmart.contracts.common import Address
from flowmart.contracts.customers import CustomerContactChanged
from flowmart.events import publish, registry
from flowmart.notifications.vapid import generate
from tests.support import contract_events

from .fakes import FakePushService, FakeTwilio, SmtpServer

_ids = itertools.count(5000)

ADDRESS = Address(
    name="Ada Lovelace", line1="12 Analytical Row", line2="", city="Newark", postal_code="07102", country="US", phone=""
)


@pytest.fixture(autouse=True)
def _only_notifications_subscribers(monkeypatch):
    wired = {name: [s for s in subs if s.context == "notifications"] for name, subs in registry._BY_EVENT.items()}
    monkeypatch.setattr(registry, "_BY_EVENT", wired)


@pytest.fixture(autouse=True)
def _links(settings):
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    settings.STOREFRONT_URL = "https://www.shop.example.com"
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "OPS_EMAILS": ["ops@shop.example.com", "fraud@shop.example.com"],
    }


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """emit(*events): publish in a transaction, then run subscribers and sends as after commit."""

    def _emit(*events):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            publish(*events)

    return _emit


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """committed(fn, *args): call fn (a beat job, a service) and run its after-commit work."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def vapid_keys():
    return generate()


@pytest.fixture
def push_service(vapid_keys):
    fake = FakePushService(vapid_keys[1]).start()
    yield fake
    fake.stop()


@pytest.fixture
def providers(settings, smtp, twilio, push_service, vapid_keys):
    """Email over real SMTP, SMS through the Twilio SDK, Web Push through pywebpush: all at local fakes."""
    for key, value in smtp.settings().items():
        setattr(settings, key, value)
    settings.TWILIO = twilio.settings()
    settings.WEBPUSH = push_service.settings(vapid_keys[0])
    return SimpleNamespace(smtp=smtp, twilio=twilio, push=push_service)


def next_id() -> int:
    return next(_ids)


def money(amount: str, currency: str = "USD") -> Money:
    return Money(Decimal(amount), currency)


def order_confirmed(order_id=None, customer_id=None, email=None, lines=(("MUG-RED", 2, "20.00"),), total="52.50"):
    """A fresh order (ids from this module's counter) of Flow Mugs sold by seller 7, shipped to ADDRESS."""
    order_id = order_id or next_id()
    return contract_events.order_confirmed(
        order_id,
        [contract_events.order_line(sku, q, price, seller_id=7, name=f"Flow Mug — {sku}") for sku, q, price in lines],
        customer_id=customer_id or next_id(),
        email=email or f"buyer{order_id}@example.com",
        total=total,
        address=ADDRESS,
        number=f"FM-{order_id:06d}",
    )


def contact(customer_id: int, email: str, *, phone: str = "", locale: str = "en", first_name: str = "Ada", **kw):
    return CustomerContactChanged(
        customer_id=customer_id, email=email, phone=phone, locale=locale, first_name=first_name, **kw
    )


def product(product_id=None, seller_id=7, skus=("MUG-RED", "MUG-BLUE"), name="Flow Mug"):
    product_id = product_id or next_id()
    return ProductPublished(
        product_id=product_id,
        product_name=name,
        slug=f"flow-mug-{product_id}",
        seller_id=seller_id,
        seller_slug=f"seller-{seller_id}",
        seller_name=f"Seller {seller_id}",
        category_slug="mugs",
        variants=tuple(
            VariantSnapshot(
                sku=sku, name=f"{name} — {sku}", price=money("20.00"), weight_grams=300, attributes={}, active=True
            )
            for sku in skus
        ),
    )


def seller(seller_id: int, contact_email: str = "stock@seller.example"):
    return SellerChanged(
        seller_id=seller_id, slug=f"seller-{seller_id}", seller_name=f"Seller {seller_id}", contact_email=contact_email
    )


def uid() -> str:
    return uuid.uuid4().hex[:8]
