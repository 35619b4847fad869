"""reserve_order on PostgreSQL routes on stock read without its lock, then locks, checks and
writes in one statement (flowmart/inventory/stock_reserve_sql.py). These tests make the stock
move between that read and that write (another reservation committed from another connection,
at a hook in routing) and race real connections, so a plan that no longer holds, an oversell,
a ledger with stale after-numbers or a double reservation would really happen."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from flowmart.events.models import OutboxEvent
from flowmart.inventory import routing, selectors, services, stock_reserve_sql
from flowmart.inventory.holds import hold
from flowmart.inventory.ledger import StockBook, StockMoved
from flowmart.inventory.models import Reservation, StockLevel, StockMovement
from tests.support.threads import run_at_once

from .conftest import published

pytestmark = pytest.mark.django_db(transaction=True)


def reserve(order_id: int, sku: str, quantity: int = 1, country: str = "US"):
    return services.reserve_order(order_id=order_id, lines=[(sku, quantity)], destination_country=country)


def elsewhere(call):
    """Run `call` to its COMMIT on another thread and connection, and wait for it."""
    outcome: list = []
    assert run_at_once(lambda: outcome.append(call())) == []
    return outcome[0]


@pytest.fixture
def before_routing(monkeypatch):
    """before_routing(action): `action` runs the first time this thread routes, i.e. after the
    unlocked read and before the write; routing then plans on the numbers already read."""
    real, plans = routing.plan, []

    def install(action):
        me = threading.get_ident()

        def plan(*args, **kwargs):
            if threading.get_ident() == me:
                plans.append(args)
                if len(plans) == 1:
                    action()
            return real(*args, **kwargs)

        monkeypatch.setattr(routing, "plan", plan)
        return plans

    return install


def assert_ledger_follows_the_rows():
    """Per stock row, every ledger line's after-numbers are the previous line's plus its deltas,
    and the last line's are the row's: the after-numbers are the real ones, whatever raced."""
    for level in StockLevel.objects.all():
        on_hand = reserved = 0
        for line in StockMovement.objects.filter(sku=level.sku, warehouse=level.warehouse).order_by("id"):
            on_hand, reserved = on_hand + line.on_hand_delta, reserved + line.reserved_delta
            assert (line.on_hand_after, line.reserved_after) == (on_hand, reserved), line
        assert (level.on_hand, level.reserved) == (on_hand, reserved)
    assert selectors.inventory_drift() == []


def test_stock_taken_between_read_and_write_is_routed_again_under_the_lock(stock, before_routing):
    sku = stock({"US-EAST": 1, "DE-CENTRAL": 5}, sku="MOVED")
    plans = before_routing(lambda: elsewhere(lambda: reserve(2, sku)))  # takes US-EAST's last unit

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:  # the subscribers run after
        outcome = reserve(1, sku)

    assert len(plans) == 2  # planned on the read (US-EAST), then again on the locked rows
    assert [(a.warehouse_code, a.quantity) for a in outcome.allocations] == [("DE-CENTRAL", 1)]
    # read; the conditional write (nothing written); the compare-and-set write; the events
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 4 and sql[1].startswith("WITH done AS") and "locked AS" in sql[1]
    assert sorted(Reservation.objects.values_list("order_id", "warehouse__code", "quantity")) == [
        (1, "DE-CENTRAL", 1),
        (2, "US-EAST", 1),
    ]
    assert StockMovement.objects.filter(kind="reserve").count() == 2
    [adjusted] = published("InventoryAdjusted", reason="reserved", order_id=1)
    assert adjusted["levels"] == [{"sku": sku, "available": 4}]
    assert_ledger_follows_the_rows()


def test_stock_gone_between_read_and_write_is_out_of_stock(stock, before_routing):
    sku = stock({"US-EAST": 1}, sku="GONE")
    before_routing(lambda: elsewhere(lambda: reserve(2, sku)))

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:  # the subscribers run after
        outcome = reserve(1, sku)

    assert not outcome.ok and outcome.short == (sku,)
    # read; the conditional write (nothing written); "reserved before?"; the events
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 4 and "EXISTS" in sql[2] and "FOR UPDATE" not in sql[2]
    assert [p["skus"] for p in published("OutOfStock", order_id=1)] == [[sku]]
    assert len(published("OutOfStock", order_id=None)) == 1  # order 2 emptied it, order 1 did not
    assert list(Reservation.objects.values_list("order_id", flat=True)) == [2]
    assert StockLevel.objects.get(sku=sku).reserved == 1
    assert_ledger_follows_the_rows()


def test_stock_received_between_read_and_write_is_in_the_published_levels(stock, warehouses, before_routing):
    """The plan still holds, so the first write goes through; its levels and alerts come from the
    rows as locked, including one that did not exist when the stock was read."""
    sku = stock({"US-EAST": 5}, sku="GROWN", threshold=4)
    plans = before_routing(lambda: elsewhere(lambda: stock({"GB-NORTH": 3}, sku=sku)))

    outcome = reserve(1, sku, quantity=2)

    assert len(plans) == 1 and [(a.warehouse_code, a.quantity) for a in outcome.allocations] == [("US-EAST", 2)]
    [adjusted] = published("InventoryAdjusted", reason="reserved")
    assert adjusted["levels"] == [{"sku": sku, "available": 6}]  # 5 - 2 at US-EAST, 3 at GB-NORTH
    [low] = published("LowStock")
    assert (low["warehouse_code"], low["available"], low["threshold"]) == ("US-EAST", 3, 4)
    assert_ledger_follows_the_rows()


def test_a_write_whose_plan_no_longer_holds_writes_nothing(stock):
    """The conditional statement's writes all wait on its check: when a planned row lost its
    units, no stock row, ledger line or reservation is written, and the rows come back locked."""
    sku = stock({"US-EAST": 2, "DE-CENTRAL": 1}, sku="CHECK")
    with transaction.atomic():
        book = StockBook.read_for_order(1, [sku])
        plan = routing.plan({sku: 2}, routing.sites_from_levels(book.levels, "US"))
        hold(book, plan, order_id=1, destination="US")
        elsewhere(lambda: reserve(2, sku))  # US-EAST now has 1 left
        with pytest.raises(StockMoved) as moved:
            book.flush(first_for_order=1)
        locked = moved.value.book
        assert {(lv.warehouse.code, lv.on_hand, lv.reserved) for lv in locked.levels} == {
            ("US-EAST", 2, 1),
            ("DE-CENTRAL", 1, 0),
        }
        assert locked.unlocked is None  # held under the statement's row locks until COMMIT
        assert not Reservation.objects.filter(order_id=1).exists()
        assert StockMovement.objects.filter(kind="reserve").count() == 1
        assert StockLevel.objects.get(sku=sku, warehouse__code="US-EAST").reserved == 1
    assert_ledger_follows_the_rows()


def test_many_reservations_of_one_hot_sku_reserve_exactly_the_stock(stock):
    sku = stock({"US-EAST": 5, "DE-CENTRAL": 4, "GB-NORTH": 2}, sku="HOT")
    outcomes: dict[int, services.ReservationOutcome] = {}

    def call(order_id):
        return lambda: outcomes.__setitem__(order_id, reserve(order_id, sku))

    assert run_at_once(*(call(order_id) for order_id in range(1, 31))) == []

    reserved = {order_id for order_id, outcome in outcomes.items() if outcome.ok}
    assert len(outcomes) == 30 and len(reserved) == 11
    assert StockLevel.objects.filter(sku=sku).aggregate(r=Sum("reserved"))["r"] == 11
    assert sorted(Reservation.objects.values_list("order_id", flat=True)) == sorted(reserved)
    assert {p["order_id"] for p in published("OutOfStock") if p["order_id"] is not None} == set(outcomes) - reserved
    assert len(published("OutOfStock", order_id=None)) == 1  # the SKU's total reached zero once
    assert_ledger_follows_the_rows()


def test_the_same_order_twice_at_once_waits_on_the_order_lock_and_is_reserved_once(stock, before_routing):
    """The second call blocks on the order's advisory lock (seen in pg_locks) while the first
    routes; its write statement starts after the first COMMIT, so its guard says done."""
    sku = stock({"US-EAST": 1, "GB-NORTH": 20}, sku="TWICE")
    waited: list[bool] = []

    def until_the_other_waits():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s",
                    [stock_reserve_sql.ADVISORY_NAMESPACE],
                )
                if cursor.fetchone()[0]:
                    waited.append(True)
                    return
            time.sleep(0.01)

    outcomes: list = []
    first_routes = threading.Event()

    def first():
        before_routing(lambda: (first_routes.set(), until_the_other_waits()))
        outcomes.append(reserve(7, sku))

    def second():
        first_routes.wait(10)
        outcomes.append(reserve(7, sku))

    assert run_at_once(first, second) == []

    assert waited == [True]
    assert sorted(o.already_done for o in outcomes) == [False, True] and all(o.ok for o in outcomes)
    assert list(Reservation.objects.values_list("order_id", "warehouse__code", "quantity")) == [(7, "US-EAST", 1)]
    assert len(published("InventoryAdjusted", reason="reserved")) == 1
    assert not published("OutOfStock", order_id=7)
    assert_ledger_follows_the_rows()


# What differs between two publications of the same event: its identity, time and tracing.
ENVELOPE = ("event_id", "occurred_at", "correlation_id", "causation_id", "traceparent")


def test_events_are_those_the_locking_path_publishes_for_the_same_numbers(stock):
    """The same reservation written through the lock-first path (rolled back) and through
    reserve_order publishes the same InventoryAdjusted and alerts."""
    stock({"US-EAST": 3, "DE-CENTRAL": 2}, sku="A", threshold=2)
    stock({"US-EAST": 4}, sku="B", threshold=1)
    demand = {"A": 5, "B": 4}  # A splits over both warehouses and runs out, B runs out

    def payloads():
        rows = OutboxEvent.objects.order_by("id").values_list("payload", flat=True)
        return [{k: v for k, v in p.items() if k not in ENVELOPE} for p in rows]

    seen = len(payloads())
    with transaction.atomic():
        outcome = services._reserve_on(StockBook.lock_rows(demand), 1, demand, "US")
        locking = payloads()[seen:]
        transaction.set_rollback(True)

    assert services.reserve_order(order_id=1, lines=list(demand.items()), destination_country="US") == outcome
    assert payloads()[seen:] == locking
    assert [p["name"] for p in locking] == ["InventoryAdjusted", "LowStock", "LowStock", "OutOfStock"]
