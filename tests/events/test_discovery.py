"""Every context is wired in one place: the events app's ready() registers each installed
app's `handlers.SUBSCRIBERS` (found through Django's app registry), in every process that
starts Django. (A real Celery worker finding the probe's subscribers: test_worker_delivery.py.)"""

import json
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings

from flowmart.events import registry
from flowmart.events.registry import discover, subscribers_for

ROOT = Path(settings.BASE_DIR)
# The installed apps with subscribers, each under its app label: the context part of its ids.
WIRED = {
    "billing",
    "catalog",
    "customers",  # no subscribers yet: an empty mapping
    "inventory",
    "notifications",
    "orders",
    "payments",
    "promotions",
    "recommendations",
    "reviews",
    "shipping",
    "subscriptions",
    "probe",  # tests/probe: discovery is not limited to flowmart's own package
}


def registered() -> set[tuple[str, str, str]]:
    return {(s.event.name, s.name, str(s.kinds)) for subs in registry._BY_EVENT.values() for s in subs}


def test_discovery_finds_every_context_with_a_handlers_module_and_is_idempotent():
    before = registered()
    assert set(discover()) == WIRED
    assert registered() == before  # ready() already did it: registering again changes nothing


def test_each_context_is_wired_exactly_as_its_handlers_module_says():
    for label in WIRED:
        mapping = import_module(f"{apps.get_app_config(label).name}.handlers").SUBSCRIBERS
        declared = {(key.name, handler.subscriber_id) for key, handlers in mapping.items() for handler in handlers}
        wired = {(s.event.name, s.name) for subs in registry._BY_EVENT.values() for s in subs if s.context == label}
        assert wired == declared, label


def test_payments_wires_its_saga_and_its_settlement_handlers():
    names = {sub.name for sub in subscribers_for("OrderConfirmed")}
    assert {"payments.record_order_discount", "payments.settle_confirmed_lines"} <= names
    assert "payments.settle_capture" in {sub.name for sub in subscribers_for("PaymentProcessed")}


def test_a_management_command_in_a_fresh_process_sees_the_same_wiring():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    out = subprocess.run(
        [sys.executable, "manage.py", "events", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    theirs = {row["name"]: row["subscribers"] for row in json.loads(out)}
    ours = {name: sorted(s.name for s in subscribers_for(name)) for name in theirs}
    assert theirs == ours
    assert sum(len(subs) for subs in theirs.values()) > 150
