"""Reads of the notifications context."""

from dataclasses import dataclass

from django.db import connection

from .models import CustomerContact, Message, OrderCopy, Preference, PushSubscription


def messages_of(customer_id: int):
    """A customer's own message history, newest first (never anyone else's)."""
    return Message.objects.filter(customer_id=customer_id).order_by("-id")


def push_subscriptions_of(customer_id: int):
    return PushSubscription.objects.filter(customer_id=customer_id, active=True).order_by("id")


@dataclass
class Reach:
    """What composing needs to write to one customer: the contact copy, the stored preferences
    (None: the defaults) and the active push subscriptions, oldest first."""

    contact: CustomerContact | None
    preference: Preference | None
    push: list[PushSubscription]


_REACH = [(CustomerContact, "c", ""), (Preference, "p", ""), (PushSubscription, "s", " AND s.active = %s")]


def _reach_sql(keys: str, key_columns: str = "", where: str = "") -> str:
    """Contact, preferences and push subscriptions LEFT JOINed to the customer_id of `keys`
    (one row, aliased k; `key_columns` of it come first): a row per push subscription, or one."""
    qn = connection.ops.quote_name
    columns = [f"{alias}.{qn(f.column)}" for model, alias, _ in _REACH for f in model._meta.concrete_fields]
    joins = " ".join(
        f"LEFT JOIN {qn(model._meta.db_table)} {alias} ON {alias}.customer_id = k.customer_id{extra}"
        for model, alias, extra in _REACH
    )
    return f"SELECT {key_columns}{', '.join(columns)} FROM {keys} {joins} {where} ORDER BY s.id"


def reach_of(customer_id: int) -> Reach:
    """Contact, preferences and push subscriptions in one statement: the customer's key as a
    one-row table, each of the three LEFT JOINed to it (a row per push subscription, or one)."""
    with connection.cursor() as cursor:
        cursor.execute(_reach_sql("(SELECT CAST(%s AS BIGINT) AS customer_id) k"), [customer_id, True])
        return _reach(cursor.fetchall(), 0)


def order_and_reach(order_id: int) -> tuple[OrderCopy | None, Reach | None]:
    """The order's copy and its customer's reach (reach_of) in one statement, for a message to
    the customer of an order: the copy is the one-row table the three are joined to.
    (None, None) for an order not known yet; reach None for a guest's order (no account)."""
    fields = OrderCopy._meta.concrete_fields
    qn = connection.ops.quote_name
    columns = "".join(f"k.{qn(f.column)}, " for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            _reach_sql(f"{qn(OrderCopy._meta.db_table)} k", columns, "WHERE k.order_id = %s"), [True, order_id]
        )
        rows = cursor.fetchall()
    if not rows:
        return None, None
    order = _instance(OrderCopy, fields, rows[0][: len(fields)])
    return order, (_reach(rows, len(fields)) if order.customer_id is not None else None)


def _reach(rows: list[tuple], start: int) -> Reach:
    """The Reach in reach_of's rows, whose columns begin at `start`."""
    loaded: dict[type, list] = {CustomerContact: [], Preference: [], PushSubscription: []}
    for row in rows:
        at = start
        for model, _, _ in _REACH:
            fields = model._meta.concrete_fields
            values = row[at : at + len(fields)]
            at += len(fields)
            if values[0] is not None and all(values[0] != kept.pk for kept in loaded[model]):
                loaded[model].append(_instance(model, fields, values))
    contact, preference = loaded[CustomerContact], loaded[Preference]
    return Reach(contact[0] if contact else None, preference[0] if preference else None, loaded[PushSubscription])


def _instance(model, fields, values):
    """A model instance from raw column values, converted as the ORM converts them."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)
