"""The statements a reservation costs on PostgreSQL, fixed so a regression fails the suite.

The test transaction encloses each call and reserve_order opens no savepoint of its own,
so what is captured is exactly its statements; run on its own (a bench client) BEGIN and
COMMIT come on top, as they do for any transaction."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from flowmart.common.money import Money
from flowmart.contracts.payments import PaymentProcessed
from flowmart.events.models import Delivery, OutboxEvent
from flowmart.inventory import handlers, services, stock_sql
from flowmart.inventory.ledger import StockBook
from flowmart.inventory.models import Reservation, StockLevel, StockMovement

from .conftest import published
from .test_handlers import confirmed

pytestmark = pytest.mark.django_db


def statements(call) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, [q["sql"] for q in captured.captured_queries]


def assert_reservation_statements(sql: list[str]) -> None:
    lock, write, events = sql
    assert "FOR UPDATE OF" in lock
    # Stock rows, ledger lines and reservations in one statement, guarded by the first-time check.
    assert write.startswith("WITH done AS") and all(cte in write for cte in ("levels AS", "ledger AS", "held AS"))
    # publish(): the outbox rows and their deliveries in one statement.
    assert OutboxEvent._meta.db_table in events and Delivery._meta.db_table in events


@pytest.mark.parametrize("line_count", [1, 3])
def test_a_reservation_is_three_statements_however_many_lines(stock, line_count):
    for n in range(line_count):
        stock({"US-EAST": 5, "DE-CENTRAL": 5, "GB-NORTH": 5}, sku=f"L{n}")
    lines = [(f"L{n}", n + 1) for n in range(line_count)]

    outcome, sql = statements(lambda: services.reserve_order(order_id=1, lines=lines, destination_country="US"))

    assert outcome.ok and len(outcome.allocations) == line_count
    assert len(sql) == 3, sql
    assert_reservation_statements(sql)
    assert Reservation.objects.count() == StockMovement.objects.filter(kind="reserve").count() == line_count


def test_a_split_reservation_with_alerts_is_still_three_statements(stock):
    stock({"US-EAST": 2, "DE-CENTRAL": 2}, sku="S", threshold=1)

    outcome, sql = statements(lambda: services.reserve_order(order_id=1, lines=[("S", 4)], destination_country="US"))

    assert [(a.warehouse_code, a.quantity) for a in outcome.allocations] == [("US-EAST", 2), ("DE-CENTRAL", 2)]
    assert len(sql) == 3
    assert_reservation_statements(sql)
    assert len(published("LowStock")) == 2 and published("OutOfStock", order_id=None)  # in the same outbox INSERT


def test_a_duplicate_reservation_is_two_statements_and_writes_nothing(stock):
    stock({"US-EAST": 5}, sku="S")
    services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US")

    outcome, sql = statements(lambda: services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US"))

    assert outcome.already_done and len(sql) == 2
    assert StockLevel.objects.get(sku="S").reserved == 2 and Reservation.objects.count() == 1
    assert len(published("InventoryAdjusted", reason="reserved")) == 1


def test_a_short_reservation_is_three_statements(stock):
    stock({"US-EAST": 1}, sku="S")

    outcome, sql = statements(lambda: services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US"))

    assert not outcome.ok and len(sql) == 3  # lock, "reserved before?", outbox rows with their deliveries
    assert published("OutOfStock", order_id=1)


def test_release_and_paid_cost_few_statements(stock):
    stock({"US-EAST": 5}, sku="S")
    services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US")

    assert len(statements(lambda: services.mark_paid(order_id=1))[1]) == 1
    released, sql = statements(lambda: services.release_order(order_id=1, reason="customer_request"))

    assert released == 2
    # closed-order row, lock reservations, lock stock, one write, outbox rows with their deliveries
    assert len(sql) == 5, sql
    assert StockLevel.objects.get(sku="S").reserved == 0


def test_a_row_changed_under_the_lock_writes_nothing(stock):
    """The write is a compare-and-set on the numbers read under the lock: should a row ever
    differ (a bug, a missing lock), the transaction fails instead of writing a ledger that
    disagrees with the stock."""
    stock({"US-EAST": 5}, sku="S")
    with pytest.raises(stock_sql.StockChangedUnderLock), transaction.atomic():
        book = StockBook.lock_rows(["S"])
        level = book.level("S", "US-EAST")
        StockLevel.objects.filter(pk=level.pk).update(reserved=1)  # behind the book's back
        book.change("reserve", level, reserved=2, reason="reserved", reference="order:1", order_id=1)
        book.flush()
    assert StockLevel.objects.get(sku="S").reserved == 0
    assert not StockMovement.objects.filter(kind="reserve").exists()


def test_the_saga_subscribers_add_no_savepoint_of_their_own(stock):
    """In a delivery's transaction (here the test's), reserving for OrderConfirmed is the same
    3 statements and keeping paid reservations is 1: no SAVEPOINT / RELEASE around them."""
    stock({"GB-NORTH": 5}, sku="S")

    _, reserving = statements(lambda: handlers.reserve_confirmed_order(confirmed(order_id=1, country="GB")))
    paid = PaymentProcessed(
        order_id=1, payment_id=1, status="succeeded", amount=Money(Decimal("20.00"), "USD"), provider="dummy"
    )
    _, paying = statements(lambda: handlers.keep_paid_reservations(paid))

    assert len(reserving) == 3 and len(paying) == 1
    assert not [q for q in reserving + paying if "SAVEPOINT" in q]
    assert Reservation.objects.get().status == "paid"
