"""The issue's correctness-under-concurrency scenarios, on PostgreSQL with real parallel
connections (threads), so lost updates, oversells and deadlocks would really happen."""

import random
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from flowmart.inventory import selectors, services
from flowmart.inventory.models import Reservation, StockLevel, StockMovement

from .conftest import published, run_in_parallel

pytestmark = pytest.mark.django_db(transaction=True)


def reserve_one(order_id: int, sku: str):
    return services.reserve_order(order_id=order_id, lines=[(sku, 1)], destination_country="US")


def test_hundred_concurrent_single_unit_reservations_over_ten_units(stock):
    sku = stock({"US-EAST": 6, "DE-CENTRAL": 4}, sku="HOT-1")

    results, errors = run_in_parallel(reserve_one, [(order_id, sku) for order_id in range(1, 101)])

    assert errors == [None] * 100
    assert sum(1 for r in results if r.ok) == 10
    assert len(published("OutOfStock", order_id=None)) == 1  # the SKU's total reached zero once
    short = [p for p in published("OutOfStock") if p["order_id"] is not None]
    assert len(short) == 90 and all(p["skus"] == [sku] for p in short)
    levels = {lv.warehouse.code: lv for lv in StockLevel.objects.select_related("warehouse")}
    assert {code: (lv.on_hand, lv.reserved) for code, lv in levels.items()} == {
        "US-EAST": (6, 6),
        "DE-CENTRAL": (4, 4),
    }
    assert Reservation.objects.filter(status="open").aggregate(n=Sum("quantity"))["n"] == 10
    assert StockMovement.objects.filter(kind="reserve").count() == 10
    assert selectors.inventory_drift() == []


def test_fifty_concurrent_multi_line_orders_over_overlapping_skus(stock, caplog):
    rng = random.Random(7)
    skus = [stock({"US-EAST": 9, "DE-CENTRAL": 7, "GB-NORTH": 4}, sku=f"MIX-{n}") for n in range(6)]
    orders = {}
    for order_id in range(1, 51):
        lines = [(sku, rng.randint(1, 3)) for sku in rng.sample(skus, rng.randint(2, 5))]
        rng.shuffle(lines)  # random line order: locking must not follow it
        orders[order_id] = lines

    def reserve(order_id):
        return services.reserve_order(order_id=order_id, lines=orders[order_id], destination_country="DE")

    results, errors = run_in_parallel(reserve, [(order_id,) for order_id in orders])

    assert errors == [None] * 50, [e for e in errors if e]
    assert not [r for r in caplog.records if "40P01" in r.getMessage()]  # lock order, not retries, kept it clean
    for order_id, outcome in zip(orders, results, strict=True):
        held = dict(
            Reservation.objects.filter(order_id=order_id)
            .values("sku")
            .annotate(q=Sum("quantity"))
            .values_list("sku", "q")
        )
        if outcome.ok:
            assert held == services.summed(orders[order_id])  # every line, fully
        else:
            assert held == {}  # nothing at all
            assert published("OutOfStock", order_id=order_id)
    assert any(r.ok for r in results) and any(not r.ok for r in results)  # the stock really ran short
    assert StockLevel.objects.filter(reserved__gt=0).exists()
    assert selectors.inventory_drift() == []


def test_two_lines_of_one_sku_are_checked_against_their_sum(stock):
    sku = stock({"US-EAST": 3}, sku="TWICE")

    outcome = services.reserve_order(order_id=1, lines=[(sku, 2), (sku, 2)], destination_country="US")

    assert not outcome.ok and outcome.short == (sku,)
    assert not Reservation.objects.exists()
    assert StockLevel.objects.get(sku=sku).reserved == 0

    stock({"US-EAST": 1}, sku=sku)
    outcome = services.reserve_order(order_id=2, lines=[(sku, 2), (sku, 2)], destination_country="US")
    assert outcome.ok
    assert list(Reservation.objects.values_list("sku", "quantity")) == [(sku, 4)]


def test_concurrent_orders_with_the_same_sku_twice_never_oversell(stock):
    sku = stock({"US-EAST": 5, "GB-NORTH": 5}, sku="PAIR")

    def reserve(order_id):
        return services.reserve_order(order_id=order_id, lines=[(sku, 1), (sku, 2)], destination_country="GB")

    results, errors = run_in_parallel(reserve, [(n,) for n in range(1, 21)])

    assert errors == [None] * 20
    assert sum(1 for r in results if r.ok) == 3  # 10 units / 3 per order
    assert StockLevel.objects.aggregate(r=Sum("reserved"))["r"] == 9
    assert selectors.inventory_drift() == []


def _reserved_orders(stock, count: int, sku: str):
    stock({"US-EAST": 2 * count}, sku=sku)
    for order_id in range(1, count + 1):
        assert services.reserve_order(order_id=order_id, lines=[(sku, 2)], destination_country="US").ok
    return list(range(1, count + 1))


def _assert_each_order_counted_once(sku: str, count: int):
    level = StockLevel.objects.get(sku=sku)
    shipped = Reservation.objects.filter(sku=sku, status="consumed").count()
    given_back = Reservation.objects.filter(sku=sku, status__in=["released", "expired"]).count()
    assert shipped + given_back == count
    assert level.reserved == 0
    assert level.on_hand == 2 * count - 2 * shipped
    assert StockMovement.objects.filter(sku=sku, kind="ship").count() == shipped
    assert selectors.inventory_drift() == []


def test_release_racing_a_shipment_never_double_counts(stock):
    orders = _reserved_orders(stock, 10, "RACE-R")

    def act(kind, order_id):
        if kind == "ship":
            return services.consume_for_shipment(
                order_id=order_id, warehouse_code="US-EAST", lines=[("RACE-R", 2)], shipment_id=order_id
            )
        return services.release_order(order_id=order_id, reason="customer_request")

    calls = [(kind, order_id) for order_id in orders for kind in ("ship", "release")]
    _, errors = run_in_parallel(act, calls)

    assert errors == [None] * len(calls)
    _assert_each_order_counted_once("RACE-R", 10)


def test_expiry_racing_a_shipment_never_double_counts(stock):
    orders = _reserved_orders(stock, 10, "RACE-E")
    Reservation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    def act(kind, order_id):
        if kind == "ship":
            return services.consume_for_shipment(
                order_id=order_id, warehouse_code="US-EAST", lines=[("RACE-E", 2)], shipment_id=order_id
            )
        if order_id % 2:
            return services.expire_order(order_id=order_id)
        return services.expire_reservations()  # the beat job, sweeping every due order

    calls = [(kind, order_id) for order_id in orders for kind in ("ship", "expire")]
    _, errors = run_in_parallel(act, calls)

    assert errors == [None] * len(calls)
    _assert_each_order_counted_once("RACE-E", 10)
    expired = Reservation.objects.filter(status="expired").values_list("order_id", flat=True)
    assert sorted(p["order_id"] for p in published("ReservationExpired")) == sorted(expired)


def test_every_service_at_once_over_shared_skus_keeps_the_books_straight(stock, caplog):
    """Reserve, release, ship, expire, receive and adjust racing on the same rows: each
    service locks reservations first and stock rows in pk order, so nothing deadlocks."""
    skus = [stock({"US-EAST": 30, "DE-CENTRAL": 30}, sku=f"ALL-{n}") for n in range(3)]
    for order_id in range(1, 31):
        services.reserve_order(order_id=order_id, lines=[(skus[order_id % 3], 1), (skus[(order_id + 1) % 3], 1)])
    Reservation.objects.filter(order_id__gt=20).update(expires_at=timezone.now() - timedelta(seconds=1))

    def act(kind, n):
        if kind == "reserve":
            return services.reserve_order(order_id=100 + n, lines=[(skus[(n + 2) % 3], 2), (skus[n % 3], 1)])
        if kind == "release":
            return services.release_order(order_id=n, reason="customer_request")
        if kind == "ship":
            res = Reservation.objects.filter(order_id=n).select_related("warehouse").first()
            lines = [(r.sku, r.quantity) for r in Reservation.objects.filter(order_id=n, warehouse=res.warehouse)]
            return services.consume_for_shipment(
                order_id=n, warehouse_code=res.warehouse.code, lines=lines, shipment_id=n
            )
        if kind == "expire":
            return services.expire_reservations()
        if kind == "receive":
            return services.receive_stock(sku=skus[n % 3], warehouse_code="DE-CENTRAL", quantity=1, reason="po")
        return services.adjust_stock(sku=skus[n % 3], warehouse_code="US-EAST", quantity=-1, reason="damaged")

    calls = (
        [("reserve", n) for n in range(20)]
        + [("release", n) for n in range(1, 11)]
        + [("ship", n) for n in range(6, 21)]  # 6..10 race their own release
        + [("expire", n) for n in range(5)]
        + [("receive", n) for n in range(5)]
        + [("adjust", n) for n in range(5)]
    )
    random.Random(3).shuffle(calls)
    _, errors = run_in_parallel(lambda kind, n: act(kind, n), calls)

    assert errors == [None] * len(calls), [e for e in errors if e]
    assert not [r for r in caplog.records if "40P01" in r.getMessage()]
    assert selectors.inventory_drift() == []
    assert not Reservation.objects.filter(order_id__gt=20, order_id__lt=100, status="open").exists()


def test_the_same_order_reserved_on_many_connections_at_once_is_reserved_once(stock):
    """Duplicate deliveries of one OrderConfirmed racing: the "reserved before?" question is
    asked inside the write statement, after the stock locks, so only the first one writes."""
    sku = stock({"US-EAST": 1, "GB-NORTH": 20}, sku="DUP")

    results, errors = run_in_parallel(lambda: reserve_one(7, sku), [() for _ in range(12)])

    assert errors == [None] * 12
    assert sum(1 for r in results if r.ok and not r.already_done) == 1
    assert all(r.ok for r in results)  # the others found it done, none saw the stock short
    assert list(Reservation.objects.values_list("order_id", "warehouse__code", "quantity")) == [(7, "US-EAST", 1)]
    assert len(published("InventoryAdjusted", reason="reserved")) == 1
    assert not [p for p in published("OutOfStock") if p["order_id"] == 7]
    assert selectors.inventory_drift() == []
