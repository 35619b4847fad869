"""GET /orders/{id}/?wait=paid: the answer comes when the order gets there, not before, and the
waiting request holds no database connection.

A client waits on the live server (its own thread, its own PostgreSQL connection) while this
test's thread moves the order through the orders services and commits: the same commit → Redis
PUBLISH → waiter path as in production.
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.db import connection

from flowmart.common import wakeups
from flowmart.common.money import Money
from flowmart.orders import waiting
from flowmart.orders.services import lifecycle

pytestmark = pytest.mark.django_db(transaction=True)

WOKEN_WITHIN = 0.2  # seconds from the committing thread's return to the waiter's answer, on a busy machine


@pytest.fixture
def order(customer, shop, place):
    return place(customer, {"MUG-1": 1})


def get(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


class Waiter(threading.Thread):
    """A client waiting on the live server; notes when its answer arrived."""

    def __init__(self, live_server, client, order_id, query="wait=paid&timeout=10"):
        super().__init__(daemon=True)
        self.url = f"{live_server.url}/api/v1/orders/{order_id}/?{query}"
        self.token = client.token
        self.started_at = self.answered_at = None
        self.status = self.body = None

    def run(self):
        self.started_at = time.monotonic()
        self.status, self.body = get(self.url, self.token)
        self.answered_at = time.monotonic()

    def answer(self, within: float = 15):
        self.join(within)
        assert not self.is_alive(), "the waiting client got no answer"
        return self.status, self.body


def subscribers(order_id) -> int:
    return redis.Redis.from_url(settings.REDIS_URL).pubsub_numsub(wakeups.on_redis(waiting.channel(order_id)))[0][1]


def until_subscribed(order_id, waiters=1):
    deadline = time.monotonic() + 10
    while subscribers(order_id) < waiters:
        assert time.monotonic() < deadline, "the request never subscribed"
        time.sleep(0.01)


def paid(order_id):
    lifecycle.payment_processed(order_id, 9001, True, Money(Decimal("17.50"), "USD"), None)


def declined(order_id):
    lifecycle.payment_processed(order_id, 9002, False, Money(Decimal("17.50"), "USD"), "card_declined")


BANK = "https://bank.example/3ds"


def test_a_waiting_client_is_answered_as_soon_as_the_order_is_paid(live_server, customer, order):
    waiter = Waiter(live_server, customer, order)
    waiter.start()
    until_subscribed(order)

    lifecycle.stock_reserved(order)  # a move, but not yet paid: the client keeps waiting
    time.sleep(0.3)
    assert waiter.is_alive()

    paid(order)  # commits here, in this thread's own connection
    committed = time.monotonic()
    status, body = waiter.answer()

    assert status == 200
    assert body["status"] == "paid" and body["payment_status"] == "paid"
    assert waiter.answered_at - committed < WOKEN_WITHIN
    assert body == customer.get(f"/api/v1/orders/{order}/").json()  # the order detail, as without `wait`
    assert subscribers(order) == 0  # the subscription went with the answer


def test_after_the_timeout_the_order_as_it_stands(live_server, customer, order):
    waiter = Waiter(live_server, customer, order, "wait=paid&timeout=0.5")
    waiter.start()
    status, body = waiter.answer()

    assert status == 200 and body["status"] == "pending"
    assert 0.5 <= waiter.answered_at - waiter.started_at < 3
    assert body == customer.get(f"/api/v1/orders/{order}/").json()


@pytest.mark.parametrize(
    ("settle", "expected"),
    [
        (lambda order: lifecycle.stock_refused(order, ("MUG-1",)), ("cancelled", "pending", "out_of_stock")),
        (lambda order: declined(order), ("cancelled", "failed", "payment_failed")),
        (lambda order: lifecycle.payment_held(order, 90), ("on_hold", "pending", None)),
        (lambda order: lifecycle.payment_needs_action(order, redirect_url=BANK), ("pending", "requires_action", None)),
    ],
    ids=["out_of_stock", "payment_failed", "fraud_hold", "needs_action"],
)
def test_wait_for_paid_ends_when_the_order_will_not_get_there(live_server, customer, order, settle, expected):
    waiter = Waiter(live_server, customer, order)
    waiter.start()
    until_subscribed(order)

    settle(order)
    committed = time.monotonic()
    status, body = waiter.answer()

    assert status == 200
    assert (body["status"], body["payment_status"], body["cancellation_reason"]) == expected
    assert waiter.answered_at - committed < WOKEN_WITHIN


def backends_opened_since(started) -> int:
    """PostgreSQL backends of the test database opened after `started`, other than this thread's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_start >= %s",
            [started],
        )
        return cursor.fetchone()[0]


def now_in_postgres():
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def test_a_waiting_request_holds_no_database_connection(live_server, customer, shop, place, monkeypatch):
    first, second = place(customer, {"MUG-1": 1}), place(customer, {"MUG-1": 1})

    started = now_in_postgres()
    waiter = Waiter(live_server, customer, first)
    waiter.start()
    until_subscribed(first)
    time.sleep(0.2)
    assert backends_opened_since(started) == 0  # it read the order, then gave its connection back
    paid(first)
    assert waiter.answer()[1]["status"] == "paid"

    # The same count sees a connection that is kept: without the release the waiter's backend is there.
    monkeypatch.setattr(waiting, "release_connection", lambda: None)
    started = now_in_postgres()
    holder = Waiter(live_server, customer, second, "wait=paid&timeout=1")
    holder.start()
    until_subscribed(second)
    time.sleep(0.2)
    assert backends_opened_since(started) == 1
    holder.answer()


def test_another_customers_order_is_404_at_once(make_customer, customer, order):
    stranger = make_customer()
    started = time.monotonic()
    response = stranger.get(f"/api/v1/orders/{order}/?wait=paid&timeout=10")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert time.monotonic() - started < 1
    assert subscribers(order) == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("wait=paid&timeout=abc", "timeout"),
        ("wait=paid&timeout=31", "timeout"),
        ("wait=paid&timeout=-1", "timeout"),
        ("wait=paid&timeout=nan", "timeout"),
        ("wait=sold", "wait"),
        ("wait=cancelled", "wait"),
        ("wait=", "wait"),
    ],
)
def test_bad_wait_parameters_are_400(customer, order, query, field):
    response = customer.get(f"/api/v1/orders/{order}/?{query}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]


def test_an_order_already_there_is_answered_without_waiting(customer, order):
    lifecycle.stock_reserved(order)
    paid(order)
    started = time.monotonic()
    response = customer.get(f"/api/v1/orders/{order}/?wait=awaiting_payment&timeout=10")

    assert response.status_code == 200 and response.json()["status"] == "paid"  # past it: no wait either
    assert time.monotonic() - started < 1


def test_past_the_cap_of_waiters_a_wait_answers_as_a_poll(settings, customer, order):
    settings.WAIT_MAX_WAITERS = 0
    started = time.monotonic()
    response = customer.get(f"/api/v1/orders/{order}/?wait=paid&timeout=10")

    assert response.status_code == 200 and response.json()["status"] == "pending"
    assert time.monotonic() - started < 1


def test_without_redis_the_waiter_reads_for_itself_and_commits_still_happen(live_server, customer, order, monkeypatch):
    monkeypatch.setitem(wakeups._state, "client", redis.Redis(port=1, socket_connect_timeout=0.5))
    waiter = Waiter(live_server, customer, order)
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive()

    lifecycle.stock_reserved(order)
    paid(order)  # its wake-up cannot be sent: the payment is saved all the same
    committed = time.monotonic()
    status, body = waiter.answer()

    assert status == 200 and body["status"] == "paid"
    # Well before the 10 s timeout, which would also answer "paid"; the slack is for a loaded
    # machine (a 2-core CI runner answered 1.6 s after the commit).
    assert waiter.answered_at - committed < wakeups.POLL_SECONDS + 4


def test_the_schema_documents_wait_and_timeout(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/orders/{order_id}/"]["get"]["parameters"]}

    assert parameters["wait"]["in"] == "query"
    assert set(parameters["wait"]["schema"]["enum"]) == {
        "pending",
        "awaiting_payment",
        "paid",
        "shipped",
        "delivered",
        "returned",
    }
    assert parameters["timeout"]["schema"]["maximum"] == 30


def test_a_waited_answer_leaves_no_connection_parked_in_its_thread(customer, order):
    customer.get(f"/api/v1/orders/{order}/")
    assert connection.connection is not None  # an ordinary request keeps it (DB_CONN_MAX_AGE)

    response = customer.get(f"/api/v1/orders/{order}/?wait=paid&timeout=0.1")

    assert response.status_code == 200 and response.json()["status"] == "pending"
    assert connection.connection is None  # a burst of answered waiters parks no backends


POOLED_WAIT = """
import json, django
django.setup()
from django.db import connection
from flowmart.orders import waiting

def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]

before = backend_pid()
pool = connection.pool
waiting.release_connection()  # what a waiting request does before it sleeps
stats = pool.get_stats()
held = stats["pool_size"] - stats["pool_available"]
after = backend_pid()  # the request's answer, after the wake-up
print("RESULT " + json.dumps({"held_while_waiting": held, "same_backend": before == after,
                              "opened": pool.get_stats().get("connections_num"),
                              "conn_max_age": connection.settings_dict["CONN_MAX_AGE"]}))
"""


def test_with_a_pool_a_waiting_request_gives_its_connection_to_the_pool_not_to_the_server():
    """gunicorn runs with DB_POOL=1 (docker/gunicorn.conf.py): the release hands the connection back to
    the process's pool, and the answer takes it again without opening a new PostgreSQL backend."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DB_POOL": "1",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_MAX_SIZE": "1",
        "DJANGO_SETTINGS_MODULE": "flowmart.settings",
    }
    done = subprocess.run([sys.executable, "-c", POOLED_WAIT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert result == {"held_while_waiting": 0, "same_backend": True, "opened": 1, "conn_max_age": 0}
