"""Who listens to what. Each context declares its subscribers in its own `handlers.py`: a
SUBSCRIBERS mapping {EventClass or EventClass.where(...): [handler, ...]}, so the wiring of one
context reads in one place, and each handler carries its id with `@subscriber_id(...)`.
`discover()` registers every installed app's mapping at start-up (events' AppConfig.ready).

A subscriber's id is stored on every delivery and inbox row. It is declared, not derived from
the function's name, so a handler can be renamed or moved without orphaning its pending
deliveries (or being run twice for events it already handled)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from .base import Event, Kinds

Handler = Callable[[Event], None]
logger = logging.getLogger("flowmart.events")


def subscriber_id(name: str) -> Callable[[Handler], Handler]:
    """`@subscriber_id("inventory.reserve_confirmed_order")` over a handler: the id its deliveries
    and inbox rows are stored under, "<context>.<name>" (the context part routes it to its
    queue). Never change a released id; the function itself may be renamed freely."""

    def declare(handler: Handler) -> Handler:
        handler.subscriber_id = name
        return handler

    return declare


@dataclass(frozen=True)
class Subscriber:
    name: str  # the declared id, "<context>.<name>"; stored on deliveries and in the inbox
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


class WiringError(ValueError):
    """A SUBSCRIBERS mapping that cannot be registered: a handler without an id, an id
    outside its context, or an id taken by another subscription."""


def register(context: str, subscribers: Mapping[type[Event] | Kinds, Iterable[Handler]]) -> None:
    """Register a context's {EventClass or EventClass.where(...): [handler, ...]} mapping.
    Registering the same mapping again changes nothing."""
    for key, handlers in subscribers.items():
        kinds = key if isinstance(key, Kinds) else None
        event_cls = kinds.event if kinds else key
        for handler in handlers:
            name = _declared_id(context, handler)
            existing = _SUBSCRIBERS.get(name)
            if existing is not None:
                if existing.function is handler and existing.event is event_cls and existing.kinds == kinds:
                    continue
                raise WiringError(f"subscriber id {name} is taken (by {existing.function.__qualname__})")
            sub = Subscriber(name=name, context=context, event=event_cls, function=handler, kinds=kinds)
            _SUBSCRIBERS[name] = sub
            _BY_EVENT.setdefault(event_cls.name, []).append(sub)


def _declared_id(context: str, handler: Handler) -> str:
    name = getattr(handler, "subscriber_id", None)
    where = f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"
    if not name:
        raise WiringError(f'{where} has no id: put @subscriber_id("{context}.<name>") over it')
    if not name.startswith(f"{context}.") or name == f"{context}.":
        raise WiringError(f"{where}: subscriber id {name!r} must be {context}.<name> (it subscribes for {context})")
    return name


def subscribers_for(event_name: str) -> list[Subscriber]:
    return list(_BY_EVENT.get(event_name, ()))


def subscriber(name: str) -> Subscriber:
    return _SUBSCRIBERS[name]


def unregister(name: str) -> None:
    """Remove one subscriber (tests wire temporary ones)."""
    sub = _SUBSCRIBERS.pop(name, None)
    if sub is not None:
        _BY_EVENT[sub.event.name].remove(sub)


def discover() -> list[str]:
    """Register the SUBSCRIBERS of every installed app's `handlers` module under the app's label,
    the context part of its ids; returns those labels. Called once from the events app's
    ready(), which web processes, Celery workers, tests and management commands all run through
    django.setup(). The modules are found through Django's app registry, like admin.py's, so
    the dispatcher names no context (import-linter's kernel contract) and a context needs no
    ready() of its own to be wired. Apps whose `handlers` module has no SUBSCRIBERS are skipped."""
    wired = []
    for app in apps.get_app_configs():
        if not module_has_submodule(app.module, "handlers"):
            continue
        mapping = getattr(import_module(f"{app.name}.handlers"), "SUBSCRIBERS", None)
        if mapping is not None:
            register(app.label, mapping)
            wired.append(app.label)
    return wired


def merged(*mappings: Mapping[type[Event] | Kinds, Iterable[Handler]]) -> dict:
    """One SUBSCRIBERS mapping from several (a context that keeps its handlers in more than one
    module, as payments does for settlement): the handlers of equal keys are concatenated."""
    wiring: dict = {}
    for mapping in mappings:
        for key, handlers in mapping.items():
            wiring.setdefault(key, []).extend(handlers)
    return wiring
