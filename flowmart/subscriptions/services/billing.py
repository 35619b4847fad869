"""The billing run: emit every renewal due at `as_of`, exactly once, in bounded memory.

Safe to run twice at once (two beat processes, a manual run during a scheduled one) and to
kill at any point:

- the due set is streamed customer by customer (keyset on customer_id, CHUNK_SIZE customers
  per transaction), so memory does not grow with the number of subscriptions;
- a chunk's customers are claimed with `pg_try_advisory_xact_lock`: a concurrent run skips
  the customers another run holds instead of waiting, and all of one customer's due
  subscriptions are seen by one run, so same-day renewals still group into one order;
- under that lock the subscriptions are read again `FOR UPDATE` with the due condition
  (a row another run has just moved on no longer matches);
- the renewal rows are inserted `ON CONFLICT (subscription, cycle) DO NOTHING RETURNING`, and
  only rows this transaction inserted are billed: the database, not Python, says once;
- each chunk commits its renewals, the subscriptions' next cycle and the events together:
  a run killed halfway leaves whole chunks done and the rest still due for the next run.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from flowmart.contracts.subscriptions import SubscriptionRenewalUpcoming
from flowmart.events import publish

from ..calendar import cycle_at, first_cycle_not_before
from ..models import Renewal, Subscription, Variant
from . import dunning, lifecycle
from .emitting import Due, emit, renewal_price

logger = logging.getLogger("flowmart.subscriptions")
ADVISORY_NAMESPACE = 0x53756231  # "Sub1": subscriptions' own advisory-lock space
A = Subscription.Status


@dataclass
class RunStats:
    renewals: int = 0
    orders: int = 0
    retries: int = 0
    skipped: int = 0
    resumed: int = 0
    cancelled: int = 0
    chunks: int = 0
    busy_customers: int = 0  # held by a concurrent run
    reminded: int = 0
    errors: list[str] = field(default_factory=list)


def run(as_of: datetime, chunk_size: int | None = None) -> RunStats:
    """One billing run at the clock `as_of` (a parameter: tests and operators control time)."""
    chunk_size = chunk_size or settings.SUBSCRIPTIONS["CHUNK_SIZE"]
    stats = RunStats()
    stats.resumed = lifecycle.resume_due_pauses(as_of)
    after = 0
    while True:
        customers = list(
            Subscription.objects.filter(status=A.ACTIVE, next_billing_at__lte=as_of, customer_id__gt=after)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
            .distinct()[:chunk_size]
        )
        if not customers:
            break
        after = customers[-1]
        with transaction.atomic():
            claimed = claim_customers(customers)
            stats.busy_customers += len(customers) - len(claimed)
            bill_cycles(claimed, as_of, stats)
        stats.chunks += 1
    stats.reminded = remind(as_of, chunk_size)
    dunning.retry_due(as_of, stats, chunk_size)
    stats.cancelled += dunning.give_up_due(as_of)
    return stats


def claim_customers(customers: list[int]) -> list[int]:
    """The customers this transaction may bill (advisory locks held until commit)."""
    if connection.vendor != "postgresql":
        return customers  # SQLite (make run): one writer at a time anyway
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c FROM unnest(%s::bigint[]) AS c WHERE pg_try_advisory_xact_lock(%s, (c %% 2147483647)::int)",
            [customers, ADVISORY_NAMESPACE],
        )
        return [row[0] for row in cursor.fetchall()]


def _rows(columns: list[tuple[str, str]], rows: list[tuple]) -> tuple[str, list]:
    """`WITH v AS (...)` over `rows`: one JSON parameter on PostgreSQL (quoting one string is
    cheap; thousands of bound values are not), VALUES elsewhere (SQLite)."""
    names = [name for name, _ in columns]
    if connection.vendor == "postgresql":
        spec = ", ".join(f"{name} {kind}" for name, kind in columns)
        data = json.dumps([dict(zip(names, row, strict=True)) for row in rows], default=str)
        return f"WITH v AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS x({spec})) ", [data]
    values = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(rows))
    return f"WITH v({', '.join(names)}) AS (VALUES {values}) ", [value for row in rows for value in row]


def insert_renewals(rows: list[tuple[int, int, datetime, str]]) -> dict[tuple[int, int], int]:
    """INSERT (subscription, cycle, due_at, status) ... ON CONFLICT DO NOTHING; returns
    {(subscription, cycle): renewal id} of the rows this statement inserted."""
    if not rows:
        return {}
    table = Renewal._meta.db_table
    columns = [("subscription_id", "bigint"), ("cycle", "integer"), ("due_at", "timestamptz"), ("status", "text"),
               ("attempts", "integer"), ("reason", "text")]  # fmt: skip
    data = [
        (sub_id, cycle, due_at, status, 1 if status == Renewal.Status.BILLING else 0,
         "" if status == Renewal.Status.BILLING else "missed")
        for sub_id, cycle, due_at, status in rows
    ]  # fmt: skip
    source, params = _rows(columns, data)
    sql = (
        f"{source}INSERT INTO {table} (subscription_id, cycle, due_at, status, attempts, failure_code, reason, "
        "created_at, updated_at) SELECT subscription_id, cycle, due_at, status, attempts, '', reason, due_at, due_at "
        "FROM v WHERE true ON CONFLICT (subscription_id, cycle) DO NOTHING RETURNING subscription_id, cycle, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(row[0], row[1]): row[2] for row in cursor.fetchall()}


def move_on(subs: list[Subscription]) -> None:
    """Write the subscriptions' next cycle in one UPDATE ... FROM (Django's bulk_update builds
    a CASE per row and costs more than the rest of the chunk)."""
    if not subs:
        return
    table = Subscription._meta.db_table
    source, params = _rows(
        [("id", "bigint"), ("next_cycle", "integer"), ("next_billing_at", "timestamptz")],
        [(sub.pk, sub.next_cycle, sub.next_billing_at) for sub in subs],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"{source}UPDATE {table} SET next_cycle = v.next_cycle, next_billing_at = v.next_billing_at "
            f"FROM v WHERE {table}.id = v.id",
            params,
        )


def bill_cycles(customers: list[int], as_of: datetime, stats: RunStats) -> None:
    subs = list(
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan")
        .filter(customer_id__in=customers, status=A.ACTIVE, next_billing_at__lte=as_of)
        .order_by("id")
    )
    sellable = set(
        Variant.objects.filter(sku__in={s.plan.sku for s in subs}, active=True).values_list("sku", flat=True)
    )
    rows, plan = [], []
    for sub in subs:
        cycle = sub.next_cycle
        latest = first_cycle_not_before(sub, cycle, as_of + timedelta(microseconds=1)) - 1
        for missed in range(cycle, latest):  # more than one cycle behind: only the latest is billed
            rows.append((sub.pk, missed, cycle_at(sub, missed), Renewal.Status.SKIPPED))
        due_at = cycle_at(sub, latest)
        status = Renewal.Status.BILLING if sub.plan.sku in sellable else Renewal.Status.SKIPPED
        rows.append((sub.pk, latest, due_at, status))
        plan.append((sub, latest, due_at, status))
        sub.next_cycle = latest + 1
        sub.next_billing_at = cycle_at(sub, latest + 1)
    inserted = insert_renewals(rows)
    dues = []
    for sub, cycle, due_at, status in plan:
        renewal_id = inserted.get((sub.pk, cycle))
        if renewal_id is None:
            logger.warning("subscription %s cycle %s was already emitted; not billed again", sub.pk, cycle)
        elif status == Renewal.Status.SKIPPED:
            Renewal.objects.filter(pk=renewal_id).update(reason="not_for_sale")
            stats.skipped += 1
        else:
            dues.append(Due(sub=sub, renewal_id=renewal_id, cycle=cycle, attempt=1, moment=due_at))
    move_on(subs)
    stats.orders += len(emit(dues, "cycle"))
    stats.renewals += len(dues)


def remind(as_of: datetime, chunk_size: int) -> int:
    """SubscriptionRenewalUpcoming once per cycle, REMINDER_DAYS before it is billed. The
    conditional UPDATE of `reminded_cycle` under the row lock makes it once across runs."""
    days = settings.SUBSCRIPTIONS["REMINDER_DAYS"]
    if days <= 0:
        return 0
    horizon, sent, after = as_of + timedelta(days=days), 0, 0
    while True:
        with transaction.atomic():
            subs = list(
                Subscription.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("plan")
                .filter(status=A.ACTIVE, next_billing_at__lte=horizon, next_billing_at__gt=as_of, pk__gt=after)
                .exclude(reminded_cycle=F("next_cycle"))
                .order_by("pk")[:chunk_size]
            )
            if not subs:
                return sent
            after = subs[-1].pk
            variants = {v.sku: v for v in Variant.objects.filter(sku__in={s.plan.sku for s in subs})}
            events = []
            for sub in subs:
                price = renewal_price(sub, variants.get(sub.plan.sku))
                sub.reminded_cycle = sub.next_cycle
                if price is not None:
                    events.append(
                        SubscriptionRenewalUpcoming(
                            subscription_id=sub.pk,
                            customer_id=sub.customer_id,
                            customer_email=sub.customer_email,
                            sku=sub.plan.sku,
                            quantity=sub.quantity,
                            renews_at=sub.next_billing_at,
                            amount=price,
                            plan_name=sub.plan.name,
                        )
                    )
            Subscription.objects.bulk_update(subs, ["reminded_cycle"])
            if events:
                publish(*events)
            sent += len(events)
