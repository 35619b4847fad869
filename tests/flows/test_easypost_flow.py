"""EasyPost, the real carrier, end to end against a local fake of its HTTP API driven through
the official SDK: a customer checks out with a method served by EasyPost, the label is bought
at the method's service with the parcel's real weight, and EasyPost's signed tracker webhooks
move the order to delivered."""

from decimal import Decimal

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from flowmart.common.errors import InvalidRequest
from flowmart.common.money import Money
from flowmart.events.models import Delivery, OutboxEvent
from flowmart.shipping import services as shipping
from flowmart.shipping.carriers import CARRIERS
from flowmart.shipping.models import CarrierParcel, Return
from tests.support.fake_easypost import LABEL_PDF, FakeEasyPost, sign

from .conftest import checkout, order, register

pytestmark = pytest.mark.django_db(transaction=True)
WEBHOOK = "/api/v1/shipping/carriers/easypost/webhook/"


@pytest.fixture
def easypost(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    fake = FakeEasyPost().start()
    settings.EASYPOST = fake.settings()
    yield fake
    fake.stop()


def easypost_method(code="ep-priority", **service):
    with transaction.atomic():
        shipping.save_method(code=code, name="Priority via EasyPost", carrier="easypost", estimated_days=3, **service)
        shipping.set_rate(
            method_code=code, zone_name="domestic-US", max_weight_grams=10_000, price=Money(Decimal("8.95"), "USD")
        )


def post_webhook(body: bytes, headers: dict):
    return APIClient().generic("POST", WEBHOOK, body, content_type="application/json", **headers)


def test_a_parcel_ships_and_is_tracked_through_easypost(shop, staff, easypost):
    easypost_method(easypost_carrier="USPS", easypost_service="Priority")
    client = register()

    placed = checkout(client, {"FLOW-RED": 2}, method="ep-priority")

    assert order(client, placed["order_id"])["status"] == "paid"
    [parcel] = order(client, placed["order_id"])["shipments"]
    assert parcel["carrier"] == "easypost" and parcel["tracking_number"].startswith("9400")
    [(_, _, created)] = [r for r in easypost.requests if r[1] == "/v2/shipments"]
    assert created["shipment"]["parcel"]["weight"] == 28.2  # 2 × 400 g, in ounces
    assert created["shipment"]["to_address"]["street1"] == "1 Main St"
    assert created["shipment"]["from_address"]["company"] == "FlowMart Newark"
    [(_, buy_path, bought)] = [r for r in easypost.requests if r[1].endswith("/buy")]
    [priority] = [r for r in easypost.shipments[buy_path.split("/")[3]]["rates"] if r["service"] == "Priority"]
    assert bought["rate"]["id"] == priority["id"]
    stored = CarrierParcel.objects.get(tracking_number=parcel["tracking_number"])
    assert (stored.service, stored.rate_amount) == ("USPS Priority", Decimal("7.58"))
    assert stored.public_url.startswith("https://track.easypost.com/trk_")
    announced = OutboxEvent.objects.get(name="ShipmentCreated").payload  # what orders shows the customer
    assert (announced["carrier"], announced["tracking_url"]) == ("easypost", stored.public_url)
    label = staff.get(f"/api/v1/shipping/shipments/{parcel['id']}/label/")
    assert label.status_code == 200 and b"".join(label.streaming_content) == LABEL_PDF

    assert staff.post(f"/api/v1/shipping/shipments/{parcel['id']}/dispatch/").status_code == 200
    body, headers = easypost.tracker_event(parcel["tracking_number"], "in_transit", city="Newark")
    moving = post_webhook(body, headers)
    assert moving.status_code == 200 and moving.json()["outcome"] == "applied"
    assert post_webhook(body, headers).json()["outcome"] == "duplicate"
    body, headers = easypost.tracker_event(parcel["tracking_number"], "delivered", at="2030-01-03T09:00:00Z")
    assert post_webhook(body, headers).json() == {
        "outcome": "applied",
        "shipment_id": parcel["id"],
        "status": "delivered",
    }
    assert order(client, placed["order_id"])["status"] == "delivered"
    assert CARRIERS["easypost"].track(parcel["tracking_number"]) == "delivered"  # EasyPost's tracker, asked

    asked = client.post(f"/api/v1/orders/{placed['order_id']}/returns/", {"lines": [{"sku": "FLOW-RED", "quantity": 1}],
                                                                          "reason": "too small"})  # fmt: skip
    assert asked.status_code == 201, asked.content
    ret = Return.objects.get(order_id=placed["order_id"])
    assert ret.carrier == "easypost" and CarrierParcel.objects.filter(tracking_number=ret.tracking_number).exists()
    [(_, _, returned)] = [r for r in easypost.requests if r[1] == "/v2/shipments" and r[2]["shipment"].get("is_return")]
    assert returned["shipment"]["from_address"]["street1"] == "1 Main St"
    assert returned["shipment"]["parcel"]["weight"] == 14.1  # one 400 g mug


def test_webhooks_without_easyposts_signature_are_refused(shop, staff, easypost):
    easypost_method()
    checkout(register(), {"FLOW-RED": 1}, method="ep-priority")
    code = CarrierParcel.objects.get().tracking_number
    body, headers = easypost.tracker_event(code, "delivered")

    forged = post_webhook(body, {"HTTP_X_HMAC_SIGNATURE": sign("not-the-secret", body)})
    unsigned = post_webhook(body, {})
    tampered = post_webhook(body.replace(b"delivered", b"failure"), headers)

    assert [r.status_code for r in (forged, unsigned, tampered)] == [401, 401, 401]
    assert forged.json()["error"]["code"] == "not_authenticated"
    body, headers = easypost.tracker_event(code, "pre_transit")
    assert post_webhook(body, headers).json()["outcome"] == "ignored"


def test_without_a_named_service_the_cheapest_rate_is_bought(shop, easypost):
    easypost_method(code="ep-cheapest")
    checkout(register(), {"FLOW-RED": 1}, method="ep-cheapest")

    assert CarrierParcel.objects.get().service == "USPS GroundAdvantage"


def test_an_easypost_method_needs_an_api_key(settings, transactional_db):
    settings.EASYPOST = {**settings.EASYPOST, "API_KEY": ""}
    with pytest.raises(InvalidRequest):
        shipping.save_method(code="ep", name="EasyPost", carrier="easypost", estimated_days=3)


def test_a_service_easypost_does_not_offer_buys_nothing_and_is_retried(shop, easypost):
    easypost_method(code="ep-fedex", easypost_carrier="FedEx", easypost_service="Overnight")
    client = register()

    placed = checkout(client, {"FLOW-RED": 1}, method="ep-fedex")

    assert order(client, placed["order_id"])["status"] == "paid"
    assert order(client, placed["order_id"])["shipments"] == []
    assert not [r for r in easypost.requests if r[1].endswith("/buy")] and not CarrierParcel.objects.exists()
    [delivery] = Delivery.objects.filter(
        subscriber="shipping.create_shipments_when_paid", event__name="PaymentProcessed"
    )
    assert delivery.status == "pending" and "no FedEx Overnight rate" in delivery.last_error
