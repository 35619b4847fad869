"""Domain events: small immutable records that one context tells the others.

An event is a frozen dataclass. Its class attributes say what it is (`name`,
`version`, `publisher`); its fields are the payload. `to_dict()`/`from_dict()`
round-trip it through JSON without loss: Decimal and Money travel as strings,
datetimes as ISO 8601, nested value objects as objects.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from flowmart.common.correlation import get_causation_id, get_correlation_id, new_correlation_id
from flowmart.common.money import Money
from flowmart.common.tracing import current_traceparent

_REGISTRY: dict[str, type[Event]] = {}


class UnknownEvent(LookupError):
    pass


def event(cls):
    """Declare an event contract: a frozen, keyword-only dataclass registered by name."""
    reserved = {"name", "version", "publisher"} & set(cls.__dict__.get("__annotations__", {}))
    if reserved:
        # A payload field called `name` would silently replace the event's own name.
        raise TypeError(f"{cls.__name__}: payload fields may not be called {', '.join(sorted(reserved))}")
    cls = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
    cls.name = cls.__name__
    if not cls.__dict__.get("publisher"):
        # flowmart.contracts.orders.OrderConfirmed is published by "orders".
        cls.publisher = cls.__module__.rsplit(".", 1)[-1]
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise TypeError(f"event {cls.name} is declared twice")
    _REGISTRY[cls.name] = cls
    return cls


def value(cls):
    """Declare a value object carried inside events (immutable, keyword-only)."""
    return dataclasses.dataclass(frozen=True, kw_only=True)(cls)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    name: ClassVar[str] = "Event"
    version: ClassVar[int] = 1
    publisher: ClassVar[str] = ""

    event_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    occurred_at: datetime = dataclasses.field(default_factory=timezone.now)
    correlation_id: str = dataclasses.field(default_factory=lambda: get_correlation_id() or new_correlation_id())
    causation_id: str | None = dataclasses.field(default_factory=get_causation_id)
    # The W3C trace context of the span that created the event (None while tracing is off): its
    # deliveries' spans are that span's children, so one checkout reads as one trace.
    traceparent: str | None = dataclasses.field(default_factory=current_traceparent)

    def to_dict(self) -> dict[str, Any]:
        data = {"name": self.name, "version": self.version}
        for name in _field_names(type(self)):
            data[name] = _dump(getattr(self, name))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        """Rebuild an event; called on `Event` it picks the class from `data["name"]`."""
        target = cls if cls is not Event else event_class(data["name"])
        if data.get("version", target.version) != target.version:
            data = target.upgrade(data)
        hints = _type_hints(target)
        kwargs = {f.name: _load(hints[f.name], data[f.name]) for f in dataclasses.fields(target) if f.name in data}
        kwargs.setdefault("traceparent", None)  # stored before events carried one: not the reader's span
        return target(**kwargs)

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Rewrite a payload of an older `version` (still in the outbox or in flight) into the
        current shape. A contract that changes incompatibly bumps `version` and overrides this,
        so its handlers only ever see the current shape."""
        return data

    @classmethod
    def where(cls, **kinds: Any) -> Kinds:
        """`InventoryAdjusted.where(reason="reserved")` as a SUBSCRIBERS key: the subscriber wants
        only events of these kinds (a field's value, any of a tuple of values, GIVEN: any value
        but None and empty, or NONZERO: an amount, a number or Money, other than zero). The
        choice is made when the event is published, so other kinds make no delivery, and
        `manage.py events` shows it."""
        return Kinds(event=cls, fields=tuple((field, _wanted(value)) for field, value in sorted(kinds.items())))

    def payload(self) -> dict[str, Any]:
        """The event's own fields, without the envelope."""
        envelope = {f.name for f in dataclasses.fields(Event)}
        return {k: v for k, v in self.to_dict().items() if k not in envelope | {"name", "version"}}


class _Given:
    """The wanted "value" of a field that must be given: not None, not empty ("" or ())."""

    def __repr__(self) -> str:
        return "GIVEN"


class _NonZero:
    """The wanted "value" of an amount that must not be zero: a number, or Money by its amount.
    None (an event stored before it carried the amount) is not wanted either, so a handler that
    does nothing for a zero amount gets no delivery for one (e.g. an order with no discount)."""

    def __repr__(self) -> str:
        return "NONZERO"


GIVEN = _Given()
NONZERO = _NonZero()
_EMPTY = (None, "", ())
_MARKERS = {GIVEN: "<given>", NONZERO: "<non-zero>"}


def _wanted(value: Any) -> frozenset | _Given | _NonZero:
    if value is GIVEN or value is NONZERO:
        return value
    return frozenset(value if isinstance(value, tuple | list | set | frozenset) else (value,))


@dataclasses.dataclass(frozen=True)
class Kinds:
    """Which events of one class a subscriber wants (see Event.where)."""

    event: type[Event]
    fields: tuple[tuple[str, frozenset | _Given | _NonZero], ...]

    @property
    def name(self) -> str:
        """The event's name: a SUBSCRIBERS key reads the same whether it is a class or its kinds."""
        return self.event.name

    def match(self, ev: Event) -> bool:
        return all(_matches(getattr(ev, field), wanted) for field, wanted in self.fields)

    def __str__(self) -> str:
        return ", ".join(f"{field}={_shown(wanted)}" for field, wanted in self.fields)


def _matches(value: Any, wanted: frozenset | _Given | _NonZero) -> bool:
    if wanted is GIVEN:
        return value not in _EMPTY
    if wanted is NONZERO:
        amount = value.amount if isinstance(value, Money) else value
        return isinstance(amount, int | float | Decimal) and not isinstance(amount, bool) and amount != 0
    return value in wanted


def _shown(wanted: frozenset | _Given | _NonZero) -> str:
    return _MARKERS[wanted] if wanted is GIVEN or wanted is NONZERO else "|".join(sorted(map(str, wanted)))


def event_class(name: str) -> type[Event]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownEvent(name) from None


def all_events() -> list[type[Event]]:
    return sorted(_REGISTRY.values(), key=lambda cls: (cls.publisher, cls.name))


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names: `dataclasses.fields()` builds its tuple anew on every call, and
    every publish() encodes every field of every event."""
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """Resolved field types of an event or value class. Resolving them is slow (it
    evaluates the annotations) and they never change, so each class pays once."""
    return typing.get_type_hints(cls)


_PLAIN = frozenset({str, int, bool, float, type(None)})  # JSON as they are: most fields, checked first


def _dump(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Money):
        return value.to_dict()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {name: _dump(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


def _load(hint: Any, raw: Any) -> Any:
    if raw is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _load(inner[0], raw)
    if origin is tuple:
        return tuple(_load(typing.get_args(hint)[0], item) for item in raw)
    if origin is list:
        return [_load(typing.get_args(hint)[0], item) for item in raw]
    if origin is dict or hint is dict:
        return dict(raw)
    if hint is Money:
        return Money.from_dict(raw)
    if hint is Decimal:
        return Decimal(raw)
    if hint is uuid.UUID:
        return uuid.UUID(str(raw))
    if hint is datetime:
        return parse_datetime(raw)
    if hint is date:
        return parse_date(raw)
    if dataclasses.is_dataclass(hint):
        hints = _type_hints(hint)
        return hint(**{f.name: _load(hints[f.name], raw[f.name]) for f in dataclasses.fields(hint) if f.name in raw})
    return raw
