"""Every staff endpoint of the API, called by every kind of caller.

Sellers North (A) and Acme (B) share the warehouses; parcels may hold both sellers' goods.
Each endpoint is called as anonymous (401), as a customer and as a user with the bare
`is_staff` flag (403), as North's staff on Acme's object (404, or left out of a list), on
its own object (allowed) and on a mixed parcel (seen with its own lines only; handling it
is operations' job: 403), and as operations (allowed on anything).

A new staff endpoint is one more entry in ENDPOINTS; test_every_staff_view_is_in_the_matrix
fails until it is there, and test_no_api_view_checks_the_is_staff_flag fails for any view
under /api/ that still uses IsAdminUser or looks at `is_staff`.
"""

import inspect
from dataclasses import dataclass, field
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import IsAdminUser

from flowmart.catalog import services as catalog
from flowmart.common import roles
from flowmart.common.permissions import STAFF_PERMISSIONS
from flowmart.inventory import services as inventory
from flowmart.inventory.models import StockMovement
from flowmart.shipping import services as shipping
from flowmart.shipping.models import Return, Shipment
from tests.catalog.factories import CategoryFactory, SellerFactory, variant
from tests.shipping.conftest import deliver, inventory_adjusted, order_confirmed, payment_processed, return_requested

pytestmark = pytest.mark.django_db

OWN_SKUS = {"NORTH-1", "NORTH-2"}
OTHER_SKUS = {"ACME-1"}


@dataclass(frozen=True)
class Endpoint:
    """One staff endpoint. `target` is what the URL or body names: "shipment", "return",
    "sku", or None for a list (`listed` says which objects the list shows)."""

    method: str
    path: str
    target: str | None
    ok: int = 200
    body: dict = field(default_factory=dict)
    listed: str = ""  # "shipments" | "returns" | "stock"
    mixed: int | None = None  # seller staff on a parcel holding both sellers' goods
    outsider: int = 403  # callers without a staff role; 404 where customers see their own (not this one)

    def __str__(self):
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/api/v1/inventory/stock/", None, listed="stock"),
    Endpoint(
        "POST", "/api/v1/inventory/receipts/", "sku", 201, {"warehouse": "US-EAST", "quantity": 3, "reason": "PO 7"}
    ),
    Endpoint(
        "POST", "/api/v1/inventory/adjustments/", "sku", 201, {"warehouse": "US-EAST", "quantity": -1, "reason": "dent"}
    ),
    Endpoint("GET", "/api/v1/shipping/shipments/", None, listed="shipments"),
    Endpoint("GET", "/api/v1/shipping/shipments/{shipment}/", "shipment", mixed=200, outsider=404),
    Endpoint("GET", "/api/v1/shipping/shipments/{shipment}/label/", "shipment", mixed=403),
    Endpoint("POST", "/api/v1/shipping/shipments/{shipment}/dispatch/", "shipment", mixed=403),
    Endpoint("GET", "/api/v1/shipping/returns/", None, listed="returns"),
    Endpoint("POST", "/api/v1/shipping/returns/{return}/receive/", "return", mixed=403),
]
# The staff views' routes, as Django's resolver spells them (checked against the URLconf below).
ROUTES = {
    "inventory/stock/",
    "inventory/receipts/",
    "inventory/adjustments/",
    "shipping/shipments/",
    "shipping/shipments/<int:pk>/",
    "shipping/shipments/<int:pk>/label/",
    "shipping/shipments/<int:pk>/dispatch/",
    "shipping/returns/",
    "shipping/returns/<str:return_id>/receive/",
}


@pytest.fixture(autouse=True)
def _labels_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rate_table(db):
    call_command("demo_shipping", stdout=StringIO())


def _paid_order(order_id: int, lines: dict[str, int], *, dispatched: bool) -> Shipment:
    """An order paid and reserved at US-EAST: one parcel (dispatched if asked)."""
    allocations = [(sku, q, "US-EAST", "US") for sku, q in lines.items()]
    for event in (
        order_confirmed(order_id, lines=tuple(lines.items())),
        inventory_adjusted(order_id, allocations),
        payment_processed(order_id),
    ):
        deliver(event)
    shipment = Shipment.objects.get(order_id=order_id)
    if dispatched:
        shipping.dispatch_shipment(shipment.pk)
    return shipment


def _return(order_id: int, lines: dict[str, int]) -> Return:
    request = return_requested(order_id, list(lines.items()))
    deliver(request)
    return Return.objects.get(return_id=request.return_id)


@pytest.fixture
def shop(django_capture_on_commit_callbacks, make_customer, make_staff, rate_table):
    """Two sellers' catalogues, staff and stock (through the services, the events delivered
    as after a commit), and parcels and returns of each seller and of both together."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        north, acme = SellerFactory(slug="north"), SellerFactory(slug="acme")
        category = CategoryFactory(slug="gear")
        for seller, skus in ((north, sorted(OWN_SKUS)), (acme, sorted(OTHER_SKUS))):
            catalog.create_product(
                seller=seller,
                category=category,
                name=f"{seller.slug} goods",
                slug=f"{seller.slug}-goods",
                variants=[variant(sku=sku) for sku in skus],
            )
        seller_staff = make_staff(roles.SELLER_STAFF, email="staff@north.test")
        catalog.add_seller_member(north, seller_staff.user.id)
        acme_staff = make_staff(roles.SELLER_STAFF, email="staff@acme.test")
        catalog.add_seller_member(acme, acme_staff.user.id)
        inventory.create_warehouse(code="US-EAST", name="Newark", country="US", latitude="40.7", longitude="-74.2")
        for sku in OWN_SKUS | OTHER_SKUS:
            inventory.receive_stock(sku=sku, warehouse_code="US-EAST", quantity=20, reason="opening")
    shipments = {
        "own": _paid_order(1, {"NORTH-1": 1}, dispatched=False),
        "other": _paid_order(2, {"ACME-1": 1}, dispatched=False),
        "mixed": _paid_order(3, {"NORTH-2": 1, "ACME-1": 1}, dispatched=False),
    }
    for order_id, lines in ((11, {"NORTH-1": 2}), (12, {"ACME-1": 2}), (13, {"NORTH-2": 1, "ACME-1": 1})):
        _paid_order(order_id, lines, dispatched=True)
    returns = {
        "own": _return(11, {"NORTH-1": 1}),
        "other": _return(12, {"ACME-1": 1}),
        "mixed": _return(13, {"NORTH-2": 1, "ACME-1": 1}),
    }
    flag_only = make_customer(email="flag@x.test", is_staff=True)
    return SimpleNamespace(
        seller=seller_staff,
        operations=make_staff(email="ops@x.test"),
        callers={"customer": make_customer(), "is_staff flag only": flag_only},
        shipments=shipments,
        returns=returns,
        skus={"own": "NORTH-1", "other": "ACME-1"},
    )


def call(client, endpoint: Endpoint, shop, which: str | None):
    """Call the endpoint on the `which` ("own", "other", "mixed") object of the shop."""
    path, body = endpoint.path, dict(endpoint.body)
    if endpoint.target == "shipment":
        path = path.format(shipment=shop.shipments[which].pk)
    elif endpoint.target == "return":
        path = path.format(**{"return": shop.returns[which].return_id})
    elif endpoint.target == "sku":
        body["sku"] = shop.skus[which]
    if endpoint.method == "GET":
        return client.get(path)
    return client.post(path, body or None, format="json")


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_callers_are_asked_to_authenticate(endpoint, shop, api_client):
    response = call(api_client, endpoint, shop, "own")

    assert response.status_code == 401 and error_code(response) == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("who", ["customer", "is_staff flag only"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_callers_without_a_staff_role_are_refused(endpoint, who, shop):
    """403; a shipment's page is 404 to them (customers see only their own parcels there)."""
    moves = StockMovement.objects.count()

    response = call(shop.callers[who], endpoint, shop, "own")

    code = {403: "permission_denied", 404: "not_found"}[endpoint.outsider]
    assert response.status_code == endpoint.outsider and error_code(response) == code
    assert StockMovement.objects.count() == moves


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.target], ids=str)
def test_seller_staff_get_404_for_another_sellers_object(endpoint, shop):
    moves, statuses = StockMovement.objects.count(), _statuses()

    response = call(shop.seller, endpoint, shop, "other")

    assert response.status_code == 404 and error_code(response) == "not_found"
    assert (StockMovement.objects.count(), _statuses()) == (moves, statuses)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.target], ids=str)
def test_seller_staff_act_on_their_own_objects(endpoint, shop):
    response = call(shop.seller, endpoint, shop, "own")

    assert response.status_code == endpoint.ok, response.content


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.mixed], ids=str)
def test_seller_staff_see_mixed_parcels_but_leave_their_handling_to_operations(endpoint, shop):
    statuses = _statuses()

    response = call(shop.seller, endpoint, shop, "mixed")

    assert response.status_code == endpoint.mixed, response.content
    if endpoint.mixed == 200:
        assert {line["sku"] for line in response.json()["lines"]} == {"NORTH-2"}  # not Acme's line
    else:
        assert error_code(response) == "permission_denied"
        assert _statuses() == statuses


@pytest.mark.parametrize(
    ("endpoint", "which"),
    [(e, which) for e in ENDPOINTS if e.target for which in (("other",) if e.target == "sku" else ("other", "mixed"))],
    ids=str,
)
def test_operations_act_on_every_sellers_objects(endpoint, which, shop):
    response = call(shop.operations, endpoint, shop, which)

    assert response.status_code == endpoint.ok, response.content


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.listed], ids=str)
def test_lists_show_seller_staff_only_their_own(endpoint, shop):
    mine = _listed(shop.seller, endpoint)
    everything = _listed(shop.operations, endpoint)

    assert set().union(*mine.values()) <= OWN_SKUS
    assert set().union(*everything.values()) == OWN_SKUS | OTHER_SKUS
    if endpoint.listed == "shipments":
        assert set(mine) == {s.pk for s in Shipment.objects.filter(lines__sku__in=OWN_SKUS)}
        assert set(everything) == set(Shipment.objects.values_list("pk", flat=True))
    elif endpoint.listed == "returns":
        assert set(mine) == {shop.returns["own"].return_id, shop.returns["mixed"].return_id}
        assert len(everything) == 3


def _listed(client, endpoint: Endpoint) -> dict:
    """{object key: the SKUs shown for it} of the whole list, page by page."""
    response = client.get(endpoint.path, {"page_size": 100})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    if endpoint.listed == "stock":
        return {(r["sku"], r["warehouse"]): {r["sku"]} for r in rows}
    key = "id" if endpoint.listed == "shipments" else "return_id"
    return {r[key]: {line["sku"] for line in r["lines"]} for r in rows}


def _statuses():
    shipments = dict(Shipment.objects.values_list("pk", "status"))
    return shipments, dict(Return.objects.values_list("return_id", "status"))


def test_seller_staff_cannot_stock_a_sku_no_product_of_theirs_has(shop):
    response = shop.seller.post(
        "/api/v1/inventory/receipts/", {"sku": "NEVER-PUBLISHED", "warehouse": "US-EAST", "quantity": 1}
    )

    assert response.status_code == 404 and error_code(response) == "not_found"
    ahead = shop.operations.post(
        "/api/v1/inventory/receipts/", {"sku": "NEVER-PUBLISHED", "warehouse": "US-EAST", "quantity": 1}
    )
    assert ahead.status_code == 201  # operations may stock ahead of the catalogue


# --- The matrix covers every staff view, and no view under /api/ trusts is_staff -------------


def _api_views():
    """(route, view class) of every view under /api/."""

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "cls", None) or getattr(p.callback, "view_class", None)
                yield prefix + str(p.pattern), view or p.callback

    return [(route, view) for route, view in walk(get_resolver().url_patterns, "") if route.startswith("api/")]


def _permission_classes(view) -> set:
    found, todo = set(), list(getattr(view, "permission_classes", ()))
    while todo:
        perm = todo.pop()
        if hasattr(perm, "op1_class"):  # DRF's composed permissions (A & B, A | B)
            todo += [perm.op1_class, *([perm.op2_class] if hasattr(perm, "op2_class") else [])]
        else:
            found.add(perm)
    return found


def test_every_staff_view_is_in_the_matrix():
    staff_routes = {
        route.removeprefix("api/v1/")
        for route, view in _api_views()
        if any(issubclass(p, STAFF_PERMISSIONS) for p in _permission_classes(view))
    }
    assert staff_routes == ROUTES
    assert {e.path.removeprefix("/api/v1/") for e in ENDPOINTS} == {
        r.replace("<int:pk>", "{shipment}").replace("<str:return_id>", "{return}") for r in ROUTES
    }


def test_no_api_view_checks_the_is_staff_flag():
    views = _api_views()
    assert len(views) > 20
    for route, view in views:
        assert not any(issubclass(p, IsAdminUser) for p in _permission_classes(view)), route
        source = inspect.getsource(inspect.getmodule(view))
        assert "is_staff" not in source and "IsAdminUser" not in source, f"{route}: use flowmart.common.permissions"


def test_the_schema_shows_who_may_call_each_staff_endpoint(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    for endpoint in ENDPOINTS:
        path = endpoint.path.replace("{shipment}", "{id}").replace("{return}", "{return_id}")
        operation = schema["paths"][path][endpoint.method.lower()]
        assert operation["security"] == [{"bearerAuth": []}], endpoint
        assert operation["x-roles"] == [roles.OPERATIONS, roles.SELLER_STAFF], endpoint
        assert operation["description"].startswith("**Staff only**" if endpoint.outsider == 403 else "**Staff**")
        expected = {"401", "403", "404"} if endpoint.target else {"401", "403"}
        assert expected <= set(operation["responses"]), endpoint
        for status in expected:
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (endpoint, status)
