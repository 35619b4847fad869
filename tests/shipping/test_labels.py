"""A simulated carrier's parcel label is drawn on its first download, not inside the checkout
saga (issue 15), then served from storage like any stored file."""

import threading
import time

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from flowmart.shipping import services
from flowmart.shipping.carriers import CARRIERS, DrawsLabels
from flowmart.shipping.carriers.simulated import SimulatedCarrier
from flowmart.shipping.models import Shipment
from flowmart.shipping.privacy import erase_customer

from .conftest import SPLIT, deliver, inventory_adjusted, order_confirmed, payment_processed

LABEL = "/api/v1/shipping/shipments/{}/label/"


def download(client, shipment) -> bytes:
    response = client.get(LABEL.format(shipment.pk))
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def counting_draws(monkeypatch, delay: float = 0.0) -> list[str]:
    """Record every label a simulated carrier draws (optionally slowly)."""
    drawn, draw = [], SimulatedCarrier.draw_label

    def counted(self, shipment):
        drawn.append(shipment.tracking_number)
        time.sleep(delay)
        return draw(self, shipment)

    monkeypatch.setattr(SimulatedCarrier, "draw_label", counted)
    return drawn


@pytest.mark.django_db
def test_the_saga_names_the_label_and_the_first_download_draws_and_stores_it(rate_table, staff, monkeypatch):
    drawn = counting_draws(monkeypatch)
    for event in (order_confirmed(301), inventory_adjusted(301, SPLIT[:1]), payment_processed(301)):
        deliver(event)
    [shipment] = Shipment.objects.filter(order_id=301)
    assert drawn == []  # nothing drawn while the order was being paid
    assert shipment.label.name.startswith("shipping/labels/") and shipment.tracking_number in shipment.label.name
    assert not default_storage.exists(shipment.label.name)
    listed = staff.get(f"/api/v1/shipping/shipments/{shipment.pk}/").json()
    assert listed["label_url"] == LABEL.format(shipment.pk)

    first = download(staff, shipment)
    assert first.startswith(b"%PDF") and len(first) > 1000
    assert drawn == [shipment.tracking_number]
    with default_storage.open(shipment.label.name) as stored:
        assert stored.read() == first  # kept under the name the saga gave it
    assert download(staff, shipment) == first and drawn == [shipment.tracking_number]  # served, not redrawn
    shipment.refresh_from_db()
    assert shipment.tracking_number in shipment.label.name


@pytest.mark.django_db
def test_an_erased_customers_label_is_never_drawn(rate_table, staff, monkeypatch):
    drawn = counting_draws(monkeypatch)
    for event in (order_confirmed(302), inventory_adjusted(302, SPLIT[:1]), payment_processed(302)):
        deliver(event)
    [shipment] = Shipment.objects.filter(order_id=302)
    erase_customer(1)  # order_confirmed's customer
    assert staff.get(f"/api/v1/shipping/shipments/{shipment.pk}/").json()["label_url"] is None
    assert staff.get(LABEL.format(shipment.pk)).status_code == 404
    assert drawn == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_downloads_draw_the_label_once(rate_table, monkeypatch):
    """Two web processes asking at once (two PostgreSQL connections): the row lock lets one
    draw while the other waits, then serves what the first stored."""
    drawn = counting_draws(monkeypatch, delay=0.3)
    for event in (order_confirmed(303), inventory_adjusted(303, SPLIT[:1]), payment_processed(303)):
        deliver(event)
    [shipment] = Shipment.objects.filter(order_id=303)
    names, start = [], threading.Barrier(2)

    def first_download():
        try:
            start.wait()
            label = services.stored_label(shipment.pk)
            with label.open("rb") as pdf:
                names.append((label.name, pdf.read()))
        finally:
            connection.close()

    threads = [threading.Thread(target=first_download) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert drawn == [shipment.tracking_number]
    assert len(names) == 2 and names[0] == names[1] and names[0][1].startswith(b"%PDF")
    shipment.refresh_from_db()
    assert shipment.label.name == names[0][0]


def test_every_simulated_carrier_draws_labels_later_and_easypost_sells_them_as_files():
    simulated = {code for code, carrier in CARRIERS.items() if isinstance(carrier, SimulatedCarrier)}
    assert simulated == {"postal", "courier"}
    assert all(isinstance(CARRIERS[code], DrawsLabels) for code in ("postal", "courier"))
    assert not isinstance(CARRIERS["easypost"], DrawsLabels)
