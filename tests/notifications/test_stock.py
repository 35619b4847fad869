"""Back in stock (notify-me, then one message per waiting customer, once) and the sellers'
stock alerts as one digest per seller per period."""

from datetime import timedelta
from functools import partial

import pytest
from django.db import transaction
from django.utils import timezone

from flowmart.contracts.inventory import NON_RESERVATION_REASONS, InventoryAdjusted, LowStock, OutOfStock, StockLevel
from flowmart.events.models import Delivery
from flowmart.events.registry import subscriber
from flowmart.notifications import handlers
from flowmart.notifications.models import BackInStockRequest, Message
from flowmart.notifications.services import staff_messages
from tests.support.threads import run_at_once

from .conftest import contact, next_id, product, seller

pytestmark = pytest.mark.django_db


def levels(reason="received", order_id=None, **available):
    return InventoryAdjusted(
        reason=reason,
        order_id=order_id,
        amendment_id=None,
        allocations=(),
        levels=tuple(StockLevel(sku=sku.replace("_", "-"), available=n) for sku, n in available.items()),
    )


@pytest.fixture
def mug(emit):
    ev = product(skus=("MUG-RED", "MUG-BLUE"))
    emit(ev, levels(MUG_RED=0, MUG_BLUE=4))
    return ev


def notify_me(client, product_id, sku):
    return client.post(f"/api/v1/products/{product_id}/notify-me/", {"sku": sku})


def test_notify_me_answers_for_sold_out_variants_only(make_customer, mug):
    client = make_customer()
    first = notify_me(client, mug.product_id, "MUG-RED")
    assert first.status_code == 201
    assert first.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "product_id": mug.product_id,
        "sku": "MUG-RED",
        "status": "waiting",
        "created_at": "",
    }
    again = notify_me(client, mug.product_id, "MUG-RED")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

    in_stock = notify_me(client, mug.product_id, "MUG-BLUE")
    assert in_stock.status_code == 409 and in_stock.json()["error"]["code"] == "conflict"
    assert notify_me(client, mug.product_id, "NOPE").status_code == 404
    assert notify_me(client, 999_999, "MUG-RED").status_code == 404
    other = product(skus=("PLATE-1",))
    assert notify_me(client, other.product_id, "MUG-RED").status_code == 404  # not this product's SKU
    assert notify_me(client, mug.product_id, "").status_code == 400
    assert notify_me(make_customer().__class__(), mug.product_id, "MUG-RED").status_code == 401


def test_restock_tells_every_waiting_customer_once(emit, make_customer, mug, providers):
    waiting = [make_customer() for _ in range(3)]
    for client in waiting:
        emit(contact(client.user.id, client.user.email))
        notify_me(client, mug.product_id, "MUG-RED")

    emit(levels(MUG_RED=5))
    for client in waiting:
        [mail] = providers.smtp.to(client.user.email)
        assert mail.subject == "Back in stock: Flow Mug — MUG-RED"
        assert f"https://www.shop.example.com/products/flow-mug-{mug.product_id}/" in mail.part("text/plain")
        assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"  # optional: unsubscribable
    assert set(BackInStockRequest.objects.values_list("status", flat=True)) == {"notified"}

    emit(levels(MUG_RED=0), levels(MUG_RED=3))  # sold out and back again: nobody is waiting now
    assert len(providers.smtp.received) == 3


def test_a_stale_report_does_not_trigger(emit, make_customer, mug, providers):
    client = make_customer()
    notify_me(client, mug.product_id, "MUG-RED")
    old = levels(MUG_RED=9)
    emit(levels(MUG_RED=0))  # newer: still sold out
    emit(old.__class__(**{**old.__dict__, "occurred_at": timezone.now() - timedelta(hours=1)}))
    assert providers.smtp.received == [] and BackInStockRequest.objects.get().status == "waiting"


def test_stock_changes_but_reservations_reach_back_in_stock():
    """A new reason in inventory's contract is wanted here unless it is a reservation
    (tests/recommendations check the contract's list against inventory's code)."""
    on_stock_changed = subscriber("notifications.on_stock_changed")
    assert not on_stock_changed.wants(levels("reserved", 7, MUG_RED=0))
    assert all(on_stock_changed.wants(levels(reason, MUG_RED=1)) for reason in NON_RESERVATION_REASONS)


def test_reservations_are_not_followed_but_a_sell_out_and_the_way_back_are(emit, make_customer, mug, providers):
    """The copy says in or out of stock right without a checkout's reservations: the one that
    takes the last unit comes with OutOfStock, and only a release, a receipt or a return brings
    a SKU back (never a reservation)."""
    client = make_customer()
    emit(contact(client.user.id, client.user.email))
    emit(levels("reserved", 7, MUG_BLUE=2))  # units left: still in stock
    assert notify_me(client, mug.product_id, "MUG-BLUE").status_code == 409
    emit(levels("reserved", 8, MUG_BLUE=0), OutOfStock(order_id=None, amendment_id=None, skus=("MUG-BLUE",)))
    assert notify_me(client, mug.product_id, "MUG-BLUE").status_code == 201
    reservations = Delivery.objects.filter(event__payload__reason="reserved")
    assert not reservations.filter(subscriber="notifications.on_stock_changed").exists()

    emit(levels("released", 8, MUG_BLUE=1))  # order 8 cancelled: its unit is for sale again
    [mail] = providers.smtp.to(client.user.email)
    assert mail.subject == "Back in stock: Flow Mug — MUG-BLUE"


@pytest.mark.django_db(transaction=True)
def test_two_restocks_handled_at_once_tell_each_customer_once(emit, make_customer, providers):
    """Two workers handle two InventoryAdjusted for the same SKU at the same moment, each on
    its own PostgreSQL connection: the waiting rows are locked, so one of them tells everyone."""
    mug = product(skus=("MUG-RED",))
    emit(mug, levels(MUG_RED=0))
    customers = [make_customer() for _ in range(5)]
    for client in customers:
        emit(contact(client.user.id, client.user.email))
        notify_me(client, mug.product_id, "MUG-RED")
    events = [levels(MUG_RED=2), levels(MUG_RED=3)]

    def handle(ev):
        with transaction.atomic():
            handlers.on_stock_changed(ev)

    errors = run_at_once(*(partial(handle, ev) for ev in events))
    assert errors == []
    assert Message.objects.filter(message_type="back_in_stock", channel="email").count() == 5
    assert sorted(r.rcpt_tos[0] for r in providers.smtp.received) == sorted(c.user.email for c in customers)


# --- sellers' digests -------------------------------------------------------------------------


def test_one_stock_digest_per_seller_per_period(emit, committed, providers, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_PERIOD_MINUTES": 60}
    seller_id, other_id = next_id(), next_id()
    emit(seller(seller_id, "stock@northwind.example"), seller(other_id, "ops@acme.example"))
    emit(product(seller_id=seller_id, skus=("NW-1", "NW-2")), product(seller_id=other_id, skus=("AC-1",)))
    emit(
        LowStock(sku="NW-1", warehouse_code="US-EAST", available=2, threshold=5),
        OutOfStock(order_id=None, amendment_id=None, skus=("NW-2",)),
        OutOfStock(order_id=123, amendment_id=None, skus=("NW-1",)),  # a refused reservation: no alert
        LowStock(sku="AC-1", warehouse_code="DE-CENTRAL", available=1, threshold=3),
    )
    now = timezone.now()
    assert committed(staff_messages.send_stock_digests, now) == 2
    [digest] = providers.smtp.to("stock@northwind.example")
    assert digest.subject.startswith(f"Stock alerts for Seller {seller_id}: 2 since")
    text = digest.part("text/plain")
    assert "- NW-1 Flow Mug — NW-1: low stock in US-EAST, 2 left (threshold 5)" in text
    assert "- NW-2 Flow Mug — NW-2: sold out everywhere" in text
    assert "AC-1" not in text
    assert len(providers.smtp.to("ops@acme.example")) == 1

    emit(LowStock(sku="NW-1", warehouse_code="DE-CENTRAL", available=1, threshold=2))
    assert committed(staff_messages.send_stock_digests, now) == 0  # beat again in the same period: nothing
    assert committed(staff_messages.send_stock_digests, now + timedelta(minutes=61)) == 1  # the next period
    assert len(providers.smtp.to("stock@northwind.example")) == 2
    assert committed(staff_messages.send_stock_digests, now + timedelta(minutes=125)) == 0  # nothing new


def test_a_seller_without_contact_email_is_visible_as_suppressed(emit, committed, providers):
    seller_id = next_id()
    emit(seller(seller_id, ""), product(seller_id=seller_id, skus=("NOMAIL-1",)))
    emit(LowStock(sku="NOMAIL-1", warehouse_code="US-EAST", available=0, threshold=2))
    committed(staff_messages.send_stock_digests)
    row = Message.objects.get(message_type="stock_digest")
    assert row.status == "suppressed" and "no contact email" in row.suppressed_reason


def test_alerts_for_skus_no_seller_is_known_for_go_to_operations(emit, committed, providers):
    emit(LowStock(sku="GHOST-1", warehouse_code="US-EAST", available=1, threshold=5))
    assert committed(staff_messages.send_stock_digests) == 1
    [mail] = providers.smtp.to("ops@shop.example.com")
    assert mail.subject.startswith("Stock alerts for unassigned SKUs: 1 since")
    assert "GHOST-1" in mail.part("text/plain")
