"""End-to-end tests of the back office in a real browser: pytest-playwright driving the
machine's Chromium (`make test` installs Debian's package through scripts/chromium; no
browser build is ever downloaded) against Django's live server, everything wired as in
production (eager Celery, every subscriber). A failing test leaves a screenshot under
test-results/e2e/."""

import os
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from flowmart.catalog import services as catalog
from flowmart.common.money import Money
from flowmart.customers import services as customers
from flowmart.inventory import services as inventory
from flowmart.inventory.models import Warehouse
from tests.flows.conftest import RELAXED_FRAUD
from tests.support.roles import install_roles

# Playwright's sync API runs an event loop in this thread; the test body still reads the
# database between browser steps, which Django would otherwise refuse in an async context.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "Backoffice-pass-123"


def pytest_configure(config):
    if getattr(config.option, "screenshot", "off") == "off":
        config.option.screenshot = "only-on-failure"
    if getattr(config.option, "output", "test-results") == "test-results":
        config.option.output = "test-results/e2e"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make test` (scripts/chromium installs Debian's package).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-dev-shm-usage"],
    }


@pytest.fixture(autouse=True)
def _relaxed_fraud(settings, tmp_path):
    settings.PAYMENTS_FRAUD = RELAXED_FRAUD
    settings.MEDIA_ROOT = tmp_path / "media"


def _product(seller, category, sku, price):
    variants = [{"sku": sku, "name": sku.lower(), "price": Money(Decimal(price), "USD"), "weight_grams": 400}]
    return catalog.create_product(
        seller=seller, category=category, name=f"{seller.name} {sku}", slug=sku.lower(), variants=variants
    )


@pytest.fixture
def market(transactional_db):
    """Two sellers (Kettle & Co, Acme) with one product and stock each, their staff logins
    made by `create_seller_user`, and an operations login."""
    install_roles()  # the groups and their permissions, as the migrations make them
    call_command("demo_shipping", stdout=StringIO())
    Warehouse.objects.create(
        code="US-EAST", name="Newark", country="US", latitude=Decimal("40.73"), longitude=Decimal("-74.17")
    )
    category = catalog.create_category(slug="kitchen", name="Kitchen")
    sellers, products = {}, {}
    for slug, name, sku in (("kettle-and-co", "Kettle & Co", "KETTLE-1"), ("acme", "Acme", "ACME-1")):
        sellers[slug] = catalog.create_seller(slug=slug, name=name)
        products[slug] = _product(sellers[slug], category, sku, "40.00")
        inventory.receive_stock(sku=sku, warehouse_code="US-EAST", quantity=10, reason="opening stock")
        call_command(
            "create_seller_user", f"staff@{slug}.test", "--seller", slug, "--password", PASSWORD, stdout=StringIO()
        )
    customers.create_staff_user(email="ops@flowmart.test", password=PASSWORD, role="operations")
    return SimpleNamespace(sellers=sellers, products=products)


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(email: str):
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        return page

    return _sign_in
