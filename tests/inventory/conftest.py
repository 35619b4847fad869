"""Inventory fixtures: the three demo warehouses, stock received through the service,
a runner for real parallel connections, and readers for what was published."""

import threading
from decimal import Decimal

import factory
import pytest
from django.db import connection

from flowmart.common import demo
from flowmart.events.models import OutboxEvent
from flowmart.inventory import services
from flowmart.inventory.models import Warehouse

# Threads start together at a barrier; at most this many hold a connection at the same
# moment, leaving room under PostgreSQL's default max_connections (100) for the test
# session itself and anything else on the server.
MAX_PARALLEL_CONNECTIONS = 80


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.code} fulfilment")
    country = "US"
    latitude = Decimal("40.0")
    longitude = Decimal("-74.0")


@pytest.fixture
def warehouses(db):
    """US-EAST (Newark), DE-CENTRAL (Kassel), GB-NORTH (Leeds), as in the demo."""
    return {
        spec["code"]: WarehouseFactory(
            code=spec["code"],
            name=spec["name"],
            country=spec["country"],
            latitude=Decimal(spec["latitude"]),
            longitude=Decimal(spec["longitude"]),
        )
        for spec in demo.WAREHOUSES
    }


@pytest.fixture
def stock(warehouses):
    """stock({"US-EAST": 5, "DE-CENTRAL": 3}, sku="SKU-1") receives through the service."""

    def receive(per_warehouse: dict[str, int], sku: str = "SKU-1", threshold: int | None = None):
        for code, quantity in per_warehouse.items():
            level = services.receive_stock(
                sku=sku, warehouse_code=code, quantity=quantity, reason="test", reference="test"
            )
            if threshold is not None:
                type(level).objects.filter(pk=level.pk).update(low_stock_threshold=threshold)
        return sku

    return receive


def run_in_parallel(fn, calls: list[tuple], max_connections: int = MAX_PARALLEL_CONNECTIONS):
    """Run fn(*args) for every args in `calls` on its own thread and DB connection, all
    released together by a barrier. Returns (results, errors) in call order."""
    barrier = threading.Barrier(len(calls))
    slots = threading.BoundedSemaphore(max_connections)
    results: list = [None] * len(calls)
    errors: list = [None] * len(calls)

    def worker(index: int, args: tuple):
        barrier.wait()
        with slots:
            try:
                results[index] = fn(*args)
            except Exception as exc:  # the test asserts that none surfaced
                errors[index] = exc
            finally:
                connection.close()

    threads = [threading.Thread(target=worker, args=(i, args)) for i, args in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def published(name: str, **payload_match) -> list[dict]:
    """Payloads of the events of that name in the outbox, optionally filtered by fields."""
    rows = OutboxEvent.objects.filter(name=name).order_by("id").values_list("payload", flat=True)
    return [p for p in rows if all(p.get(k) == v for k, v in payload_match.items())]
