import pytest
from rest_framework.test import APIClient

from flowmart.common.errors import Conflict
from flowmart.shipping import services
from flowmart.shipping.models import Shipment, TrackingEvent
from tests.shipping.conftest import carrier_update, published, tracking

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcel(paid_split_order):
    """The order's US-EAST parcel, dispatched."""
    shipment = Shipment.objects.get(order_id=paid_split_order, warehouse_code="US-EAST")
    services.dispatch_shipment(shipment.pk)
    shipment.refresh_from_db()
    return shipment


def send(api_client, shipment, event_id, status, minutes, **extra):
    return carrier_update(
        api_client, shipment.carrier, tracking(event_id, shipment.tracking_number, status, minutes, **extra)
    )


def status_of(shipment):
    shipment.refresh_from_db()
    return shipment.status


def test_staff_dispatch_publishes_what_inventory_consumes(paid_split_order, staff):
    shipment = Shipment.objects.get(order_id=paid_split_order, warehouse_code="US-EAST")
    response = staff.post(f"/api/v1/shipping/shipments/{shipment.pk}/dispatch/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "dispatched"
    [event] = published("ShipmentDispatched")
    assert event["shipment_id"] == shipment.pk and event["order_id"] == paid_split_order
    assert event["warehouse_code"] == "US-EAST"
    assert event["lines"] == [{"sku": "SKU-A", "quantity": 2}]
    assert (event["carrier"], event["tracking_number"]) == ("postal", shipment.tracking_number)
    assert event["tracking_url"] == f"https://track.flowpost.example/parcels/{shipment.tracking_number}"

    again = staff.post(f"/api/v1/shipping/shipments/{shipment.pk}/dispatch/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert len(published("ShipmentDispatched")) == 1


def test_dispatch_is_staff_only(paid_split_order, customer, api_client):
    shipment = Shipment.objects.filter(order_id=paid_split_order).first()
    assert customer.post(f"/api/v1/shipping/shipments/{shipment.pk}/dispatch/").status_code == 403
    assert api_client.post(f"/api/v1/shipping/shipments/{shipment.pk}/dispatch/").status_code == 401
    assert status_of(shipment) == "created"


def test_staff_list_shipments_of_an_order(paid_split_order, staff):
    response = staff.get(f"/api/v1/shipping/shipments/?order_id={paid_split_order}")
    assert response.status_code == 200
    results = response.json()["results"]
    assert {r["warehouse"] for r in results} == {"US-EAST", "DE-CENTRAL"}
    label = staff.get(results[0]["label_url"])
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"
    assert b"".join(label.streaming_content).startswith(b"%PDF")
    assert staff.get("/api/v1/shipping/shipments/?order_id=999").json()["count"] == 0
    assert staff.get("/api/v1/shipping/shipments/999999/dispatch/").status_code == 405
    assert staff.post("/api/v1/shipping/shipments/999999/dispatch/").status_code == 404


def test_full_lifecycle_through_the_signed_webhook(parcel):
    api_client = APIClient(enforce_csrf_checks=True)  # carriers send no CSRF token
    response = send(api_client, parcel, "evt-1", "in_transit", 1, location="Newark hub")
    assert response.status_code == 200, response.json()
    assert response.json() == {"shipment_id": parcel.pk, "status": "in_transit", "outcome": "applied"}
    assert send(api_client, parcel, "evt-2", "delivered", 2).json()["status"] == "delivered"
    parcel.refresh_from_db()
    assert parcel.last_location == "Newark hub" and parcel.delivered_at is not None
    assert published("ShipmentInTransit", shipment_id=parcel.pk)[0]["location"] == "Newark hub"
    assert len(published("ShipmentDelivered", shipment_id=parcel.pk)) == 1


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "deadbeef", None],
    ids=["missing", "wrong", "malformed", "other-secret"],
)
def test_bad_signature_is_401_and_changes_nothing(parcel, api_client, signature):
    body = tracking("evt-bad", parcel.tracking_number, "delivered", 1)
    if signature is None:
        response = carrier_update(api_client, "postal", body, secret="not-the-secret")
    else:
        response = carrier_update(api_client, "postal", body, signature=signature)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert status_of(parcel) == "dispatched"
    assert not TrackingEvent.objects.filter(event_id="evt-bad").exists()
    assert not published("ShipmentDelivered")


def test_another_carriers_secret_does_not_sign_for_this_one(parcel, api_client):
    from django.conf import settings

    body = tracking("evt-x", parcel.tracking_number, "delivered", 1)
    response = carrier_update(api_client, "postal", body, secret=settings.SHIPPING_CARRIER_SECRETS["courier"])
    assert response.status_code == 401
    assert status_of(parcel) == "dispatched"


def test_unknown_carrier_and_unknown_parcel_are_404(parcel, api_client):
    body = tracking("evt-3", parcel.tracking_number, "delivered", 1)
    assert carrier_update(api_client, "pigeon", body, secret="x").status_code == 404
    # the courier's own signature, but this is a postal parcel
    assert carrier_update(api_client, "courier", body).status_code == 404
    assert status_of(parcel) == "dispatched"


def test_invalid_body_is_400(parcel, api_client):
    body = tracking("evt-4", parcel.tracking_number, "exploded", 1)
    response = carrier_update(api_client, "postal", body)
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]


def test_duplicate_update_has_no_second_effect(parcel, api_client):
    assert send(api_client, parcel, "evt-5", "in_transit", 1).json()["outcome"] == "applied"
    again = send(api_client, parcel, "evt-5", "in_transit", 1)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert len(published("ShipmentInTransit")) == 1
    assert TrackingEvent.objects.filter(event_id="evt-5").count() == 1


def test_out_of_order_updates_never_move_a_parcel_backwards(parcel, api_client):
    assert send(api_client, parcel, "evt-d", "delivered", 5).json()["outcome"] == "applied"
    late = send(api_client, parcel, "evt-t", "in_transit", 3)
    assert late.json() == {"shipment_id": parcel.pk, "status": "delivered", "outcome": "ignored"}
    assert send(api_client, parcel, "evt-f", "delivery_failed", 4).json()["outcome"] == "ignored"
    assert status_of(parcel) == "delivered"
    assert not published("ShipmentInTransit") and not published("DeliveryFailed")
    assert list(TrackingEvent.objects.filter(shipment=parcel).values_list("event_id", "applied")) == [
        (f"dispatch-{parcel.pk}", True),
        ("evt-t", False),
        ("evt-f", False),
        ("evt-d", True),
    ]


def test_a_stale_scan_after_a_newer_one_is_ignored(parcel, api_client):
    send(api_client, parcel, "evt-f", "delivery_failed", 4, reason="nobody home")
    assert send(api_client, parcel, "evt-t", "in_transit", 2).json()["outcome"] == "ignored"
    assert status_of(parcel) == "delivery_failed"


def test_delivery_failed_then_reattempt(parcel, api_client):
    send(api_client, parcel, "evt-1", "in_transit", 1)
    send(api_client, parcel, "evt-2", "delivery_failed", 2, reason="nobody home")
    assert status_of(parcel) == "delivery_failed"
    assert published("DeliveryFailed")[0]["reason"] == "nobody home"
    send(api_client, parcel, "evt-3", "in_transit", 3, location="depot")
    assert status_of(parcel) == "in_transit"
    send(api_client, parcel, "evt-4", "delivered", 4)
    assert status_of(parcel) == "delivered"
    assert len(published("ShipmentInTransit")) == 2
    assert len(published("ShipmentDelivered")) == 1


def test_failed_attempt_can_be_followed_straight_by_delivery(parcel, api_client):
    send(api_client, parcel, "evt-1", "delivery_failed", 1)
    send(api_client, parcel, "evt-2", "delivered", 2)
    assert status_of(parcel) == "delivered"


def test_scans_before_dispatch_are_applied_when_staff_dispatch(paid_split_order, api_client):
    shipment = Shipment.objects.get(order_id=paid_split_order, warehouse_code="DE-CENTRAL")
    early = send(api_client, shipment, "evt-early", "in_transit", -1, location="Kassel")
    assert early.json()["outcome"] == "ignored" and status_of(shipment) == "created"
    services.dispatch_shipment(shipment.pk)
    assert status_of(shipment) == "in_transit"
    assert published("ShipmentInTransit", shipment_id=shipment.pk)[0]["location"] == "Kassel"


def test_voided_parcels_take_no_tracking(paid_split_order, api_client):
    from tests.shipping.conftest import deliver, order_cancelled

    deliver(order_cancelled(paid_split_order))
    shipment = Shipment.objects.get(order_id=paid_split_order, warehouse_code="US-EAST")
    assert send(api_client, shipment, "evt-v", "delivered", 1).json()["outcome"] == "ignored"
    assert status_of(shipment) == "voided"
    with pytest.raises(Conflict, match="only created shipments"):
        services.dispatch_shipment(shipment.pk)


def test_transition_table_is_explicit():
    from flowmart.shipping.services import TRANSITIONS

    assert TRANSITIONS["created"] == {"dispatched", "voided"}
    assert TRANSITIONS["delivered"] == frozenset() and TRANSITIONS["voided"] == frozenset()
    assert "in_transit" in TRANSITIONS["delivery_failed"]


def test_simulated_carrier_tracks_what_it_reported(parcel, api_client):
    from flowmart.shipping.carriers import get_carrier

    send(api_client, parcel, "evt-1", "in_transit", 1)
    assert get_carrier("postal").track(parcel.tracking_number) == "in_transit"
