"""Reads of the notifications context."""

from dataclasses import dataclass

from django.db import connection

from .models import CustomerContact, Message, Preference, PushSubscription


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


def reach_of(customer_id: int) -> Reach:
    """Contact, preferences and push subscriptions in one statement: the customer's key as a
    one-row table, each of the three LEFT JOINed to it (a row per push subscription, or one)."""
    parts = [(CustomerContact, "c", ""), (Preference, "p", ""), (PushSubscription, "s", " AND s.active = %s")]
    qn = connection.ops.quote_name
    columns = [f"{alias}.{qn(f.column)}" for model, alias, _ in parts for f in model._meta.concrete_fields]
    joins = " ".join(
        f"LEFT JOIN {qn(model._meta.db_table)} {alias} ON {alias}.customer_id = k.customer_id{extra}"
        for model, alias, extra in parts
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM (SELECT CAST(%s AS BIGINT) AS customer_id) k {joins} ORDER BY s.id",
            [customer_id, True],
        )
        rows = cursor.fetchall()
    loaded: dict[type, list] = {CustomerContact: [], Preference: [], PushSubscription: []}
    for row in rows:
        start = 0
        for model, _, _ in parts:
            fields = model._meta.concrete_fields
            values = row[start : start + len(fields)]
            start += len(fields)
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
