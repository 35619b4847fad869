"""Every registered event contract survives JSON: from_dict(json(to_dict(e))) == e.

Instances are built generically from the type hints, so a contract added tomorrow is
covered without touching this test."""

import dataclasses
import json
import types
import typing
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from flowmart.common.money import Money
from flowmart.events.base import Event, all_events

SAMPLES = {
    int: lambda n: 40 + n,
    str: lambda n: f"text-{n} ünïcode ✓",
    bool: lambda n: n % 2 == 0,
    Decimal: lambda n: Decimal("1234.5678") + n,
    Money: lambda n: Money(Decimal("19.99") + n, ["USD", "EUR", "JPY", "KWD"][n % 4]),
    uuid.UUID: lambda n: uuid.UUID(int=n + 1),
    datetime: lambda n: datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=n % 5))),
    date: lambda n: date(2026, 2, 28) + timedelta(days=n),
    dict: lambda n: {"colour": "blue", "size": n, "nested": {"ok": True, "list": [1, "two"]}},
}


def sample(hint, n: int, optional_as_none: bool):
    """A value of type `hint`: nested value objects, tuples of them, Optionals, Money..."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if optional_as_none and type(None) in typing.get_args(hint):
            return None
        inner = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        return sample(inner, n, optional_as_none)
    if origin is tuple:
        return tuple(sample(typing.get_args(hint)[0], n + i, optional_as_none) for i in range(2))
    if origin is list:
        return [sample(typing.get_args(hint)[0], n + i, optional_as_none) for i in range(2)]
    if hint in SAMPLES:  # before the dataclass case: Money is a dataclass too
        return SAMPLES[hint](n)
    if dataclasses.is_dataclass(hint):
        return build(hint, n, optional_as_none)
    raise AssertionError(f"no sample for type {hint!r}: teach this test (and check _load handles it)")


def build(cls, n: int = 0, optional_as_none: bool = False):
    hints = typing.get_type_hints(cls)
    envelope = {f.name for f in dataclasses.fields(Event)}
    kwargs = {}
    for i, field in enumerate(dataclasses.fields(cls)):
        if field.name in envelope and field.name != "causation_id":
            continue  # event_id, occurred_at, correlation_id keep their defaults
        kwargs[field.name] = sample(hints[field.name], n + i, optional_as_none)
    return cls(**kwargs)


CONTRACTS = all_events()


def test_every_design_contract_is_registered():
    assert len(CONTRACTS) >= 15


@pytest.mark.parametrize("optional_as_none", [False, True], ids=["filled", "optionals-none"])
@pytest.mark.parametrize("cls", CONTRACTS, ids=[cls.name for cls in CONTRACTS])
def test_json_round_trip_is_lossless(cls, optional_as_none):
    original = build(cls, optional_as_none=optional_as_none)
    wire = json.loads(json.dumps(original.to_dict()))  # must be plain JSON: no Decimal, no datetime
    assert (wire["name"], wire["version"]) == (cls.name, cls.version)
    restored = Event.from_dict(wire)
    assert type(restored) is cls
    assert restored == original
    assert restored.to_dict() == original.to_dict()


def test_money_travels_as_string_decimals_and_keeps_its_scale():
    from flowmart.contracts.payments import PaymentProcessed

    ev = PaymentProcessed(order_id=1, payment_id=2, status="succeeded", amount=Money("12.5", "USD"), provider="dummy")
    wire = ev.to_dict()
    assert wire["amount"] == {"amount": "12.50", "currency": "USD"}
    assert Event.from_dict(json.loads(json.dumps(wire))).amount == Money(Decimal("12.50"), "USD")


def test_envelope_round_trips_too():
    from flowmart.contracts.subscriptions import UserSubscriptionCancelled

    ev = UserSubscriptionCancelled(
        subscription_id=1,
        customer_id=2,
        occurred_at=datetime(2026, 1, 1, 12, 0, 0, 1, tzinfo=UTC),
        correlation_id="corr-1",
        causation_id=str(uuid.uuid4()),
    )
    restored = Event.from_dict(json.loads(json.dumps(ev.to_dict())))
    assert (restored.event_id, restored.occurred_at, restored.correlation_id, restored.causation_id) == (
        ev.event_id,
        ev.occurred_at,
        ev.correlation_id,
        ev.causation_id,
    )


def test_events_are_immutable():
    ev = build(CONTRACTS[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.correlation_id = "changed"
