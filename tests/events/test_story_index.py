"""An order's event story finds the events naming the order through the outbox's expression
index on the payload's order_id (events migration 0002), not by reading the whole outbox."""

import uuid

import pytest
from django.db import connection
from django.utils import timezone

from flowmart.events import story
from flowmart.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


def outbox(order_ids, correlation="c"):
    now = timezone.now()
    OutboxEvent.objects.bulk_create(
        OutboxEvent(
            event_id=uuid.uuid4(),
            name="OrderConfirmed" if order_id is not None else "SellerChanged",
            version=1,
            publisher="orders",
            correlation_id=f"{correlation}-{order_id}",
            occurred_at=now,
            payload={"name": "X", "order_id": order_id} if order_id is not None else {"name": "X", "seller_id": 1},
        )
        for order_id in order_ids
    )


def test_the_story_query_is_an_index_scan_of_the_order_index():
    outbox([*range(1, 4001), *[None] * 2000])  # a busy outbox: thousands of orders, other events
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_outboxevent")
    plan = story.naming_order(1234).explain()
    print(plan)  # kept in the report (pytest -rP)
    assert "outbox_order_idx" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_the_index_is_the_expression_the_query_compiles_to():
    """The index must be on exactly `(payload -> 'order_id')`, or the planner cannot use it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'outbox_order_idx'")
        (definition,) = cursor.fetchone()
    assert "(payload -> 'order_id'::text)" in definition and "id" in definition
    sql = str(story.naming_order(1).query)
    assert '"payload" -> order_id' in sql  # Django's rendering of the same expression


def test_for_order_still_finds_the_orders_stories_and_only_them():
    outbox([7, 8, 7, 70, None])
    found = {line.correlation_id for line in story.for_order(7)}
    assert found == {"c-7"}
    assert len(story.for_order(7)) == 2
