"""Who listens to what. Each context declares its subscribers in its own
`handlers.py` as a SUBSCRIBERS mapping and registers it from `AppConfig.ready()`,
so the wiring of one context reads in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .base import Event

Handler = Callable[[Event], None]


@dataclass(frozen=True)
class Subscriber:
    name: str  # stable: "<context>.<function>"; stored on deliveries and in the inbox
    context: str
    event: type[Event]
    handler: Handler


_SUBSCRIBERS: dict[str, Subscriber] = {}
_BY_EVENT: dict[str, list[Subscriber]] = {}


def register(context: str, subscribers: Mapping[type[Event], Iterable[Handler]]) -> None:
    """Register a context's {EventClass: [handler, ...]} mapping."""
    for event_cls, handlers in subscribers.items():
        for handler in handlers:
            name = f"{context}.{handler.__name__}"
            existing = _SUBSCRIBERS.get(name)
            if existing is not None:
                if existing.handler is handler and existing.event is event_cls:
                    continue
                raise ValueError(f"subscriber name {name} is taken")
            sub = Subscriber(name=name, context=context, event=event_cls, handler=handler)
            _SUBSCRIBERS[name] = sub
            _BY_EVENT.setdefault(event_cls.name, []).append(sub)


def subscribers_for(event_name: str) -> list[Subscriber]:
    return list(_BY_EVENT.get(event_name, ()))


def subscriber(name: str) -> Subscriber:
    return _SUBSCRIBERS[name]


def unregister(name: str) -> None:
    """Remove one subscriber (tests wire temporary ones)."""
    sub = _SUBSCRIBERS.pop(name, None)
    if sub is not None:
        _BY_EVENT[sub.event.name].remove(sub)
