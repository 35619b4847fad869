import pytest
from django.core.files.storage import default_storage

from flowmart.shipping import services
from flowmart.shipping.models import Return, Shipment
from tests.shipping.conftest import (
    deliver,
    inventory_adjusted,
    order_confirmed,
    payment_processed,
    published,
    return_requested,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered_order(rate_table):
    """Order 300: 3 × SKU-A split over two warehouses, 1 × SKU-B; every parcel dispatched."""
    allocations = [
        ("SKU-A", 2, "US-EAST", "US"),
        ("SKU-A", 1, "DE-CENTRAL", "DE"),
        ("SKU-B", 1, "DE-CENTRAL", "DE"),
    ]
    for event in (
        order_confirmed(300, lines=(("SKU-A", 3), ("SKU-B", 1))),
        inventory_adjusted(300, allocations),
        payment_processed(300),
    ):
        deliver(event)
    for shipment in Shipment.objects.filter(order_id=300):
        services.dispatch_shipment(shipment.pk)
    return 300


def test_return_request_issues_a_label_and_initiates_the_return(delivered_order):
    request = return_requested(delivered_order, [("SKU-B", 1)])
    deliver(request)
    ret = Return.objects.get(return_id=request.return_id)
    assert ret.status == "initiated" and ret.carrier == "postal"
    assert ret.warehouse_code == "DE-CENTRAL"
    assert ret.sender_address["name"] == "Ada Lovelace"
    with default_storage.open(ret.label.name) as pdf:
        assert pdf.read().startswith(b"%PDF")
    [event] = published("ReturnInitiated")
    assert event["return_id"] == request.return_id and event["order_id"] == delivered_order
    assert event["lines"] == [{"sku": "SKU-B", "quantity": 1}]
    assert event["reason"] == "too small" and event["carrier"] == "postal"
    assert event["tracking_number"] == ret.tracking_number
    assert event["label_url"] == f"/api/v1/shipping/returns/{request.return_id}/label/"


def test_the_customer_downloads_the_return_label_by_its_return_id(delivered_order, api_client):
    request = return_requested(delivered_order, [("SKU-B", 1)])
    deliver(request)
    response = api_client.get(published("ReturnInitiated")[0]["label_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert api_client.get("/api/v1/shipping/returns/0123456789abcdef/label/").status_code == 404


def test_return_request_is_idempotent(delivered_order):
    request = return_requested(delivered_order, [("SKU-B", 1)])
    deliver(request)
    deliver(request)
    assert Return.objects.filter(return_id=request.return_id).count() == 1
    assert len(published("ReturnInitiated")) == 1


def test_receiving_names_the_warehouse_each_line_shipped_from(delivered_order, staff):
    request = return_requested(delivered_order, [("SKU-A", 3), ("SKU-B", 1)])
    deliver(request)
    response = staff.post(f"/api/v1/shipping/returns/{request.return_id}/receive/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "received"
    [event] = published("ReturnReceived")
    assert event["return_id"] == request.return_id and event["order_id"] == delivered_order
    assert sorted((line["sku"], line["warehouse_code"], line["quantity"]) for line in event["lines"]) == [
        ("SKU-A", "DE-CENTRAL", 1),
        ("SKU-A", "US-EAST", 2),
        ("SKU-B", "DE-CENTRAL", 1),
    ]


def test_a_second_receive_is_409_and_publishes_nothing(delivered_order, staff):
    request = return_requested(delivered_order, [("SKU-B", 1)])
    deliver(request)
    assert staff.post(f"/api/v1/shipping/returns/{request.return_id}/receive/").status_code == 200
    again = staff.post(f"/api/v1/shipping/returns/{request.return_id}/receive/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert len(published("ReturnReceived")) == 1


def test_later_returns_use_up_what_earlier_returns_brought_back(delivered_order):
    first, second = return_requested(delivered_order, [("SKU-A", 2)]), return_requested(delivered_order, [("SKU-A", 1)])
    deliver(first)
    deliver(second)
    services.receive_return(first.return_id)
    services.receive_return(second.return_id)
    received = [e["lines"] for e in published("ReturnReceived")]
    assert received[0] == [{"sku": "SKU-A", "quantity": 2, "warehouse_code": "US-EAST"}]
    assert received[1] == [{"sku": "SKU-A", "quantity": 1, "warehouse_code": "DE-CENTRAL"}]


def test_returning_more_than_shipped_is_refused(delivered_order):
    from flowmart.common.errors import Conflict

    request = return_requested(delivered_order, [("SKU-B", 2)])
    deliver(request)
    with pytest.raises(Conflict):
        services.receive_return(request.return_id)
    assert Return.objects.get(return_id=request.return_id).status == "initiated"
    assert not published("ReturnReceived")


def test_receive_is_staff_only_and_unknown_returns_are_404(delivered_order, customer, staff):
    request = return_requested(delivered_order, [("SKU-B", 1)])
    deliver(request)
    assert customer.post(f"/api/v1/shipping/returns/{request.return_id}/receive/").status_code == 403
    assert staff.post("/api/v1/shipping/returns/nope/receive/").status_code == 404
    listed = staff.get(f"/api/v1/shipping/returns/?order_id={delivered_order}").json()["results"]
    assert [r["return_id"] for r in listed] == [request.return_id]


def test_admin_actions_dispatch_and_receive(delivered_order, client, django_user_model):
    admin = django_user_model.objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(admin)
    request = return_requested(delivered_order, [("SKU-B", 1)])
    deliver(request)
    ret = Return.objects.get(return_id=request.return_id)
    response = client.post("/admin/shipping/return/", {"action": "receive", "_selected_action": [ret.pk]}, follow=True)
    assert response.status_code == 200
    ret.refresh_from_db()
    assert ret.status == "received"
    # dispatching already-dispatched parcels only warns
    ids = list(Shipment.objects.filter(order_id=delivered_order).values_list("pk", flat=True))
    response = client.post("/admin/shipping/shipment/", {"action": "dispatch", "_selected_action": ids}, follow=True)
    assert response.status_code == 200
    assert b"only created shipments can be dispatched" in response.content
    assert len(published("ShipmentDispatched")) == 2
    for path in ("shipment", "trackingevent", "return", "shippingmethod", "zone"):
        assert client.get(f"/admin/shipping/{path}/").status_code == 200
