"""Who listens to what. Each context declares its subscribers in its own
`handlers.py` as a SUBSCRIBERS mapping and registers it from `AppConfig.ready()`,
so the wiring of one context reads in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .base import Event, Kinds

Handler = Callable[[Event], None]
logger = logging.getLogger("flowmart.events")


@dataclass(frozen=True)
class Subscriber:
    name: str  # stable: "<context>.<function>"; stored on deliveries and in the inbox
    context: str
    event: type[Event]
    function: Handler
    kinds: Kinds | None = None  # None: every event of the class

    def wants(self, ev: Event) -> bool:
        return self.kinds is None or self.kinds.match(ev)

    def handler(self, ev: Event) -> None:
        """Run the subscriber on an event it wants. publish() makes no delivery for other kinds;
        one still arrives if it was written before the subscription named its kinds (in flight
        over a deployment, or a dead one replayed): it is done with, without running the function."""
        if not self.wants(ev):
            logger.info("%s does not want %s %s (%s): skipped", self.name, ev.name, ev.event_id, self.kinds)
            return
        self.function(ev)


_SUBSCRIBERS: dict[str, Subscriber] = {}
_BY_EVENT: dict[str, list[Subscriber]] = {}


def register(context: str, subscribers: Mapping[type[Event] | Kinds, Iterable[Handler]]) -> None:
    """Register a context's {EventClass or EventClass.where(...): [handler, ...]} mapping."""
    for key, handlers in subscribers.items():
        kinds = key if isinstance(key, Kinds) else None
        event_cls = kinds.event if kinds else key
        for handler in handlers:
            name = f"{context}.{handler.__name__}"
            existing = _SUBSCRIBERS.get(name)
            if existing is not None:
                if existing.function is handler and existing.event is event_cls and existing.kinds == kinds:
                    continue
                raise ValueError(f"subscriber name {name} is taken")
            sub = Subscriber(name=name, context=context, event=event_cls, function=handler, kinds=kinds)
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
