"""`python manage.py events` — the catalogue of every event, its publisher and subscribers."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from flowmart.events.base import all_events
from flowmart.events.registry import subscribers_for

# DESIGN.md § "Events the seed architecture requires": event → publishing context.
DESIGN_EVENTS = {
    "OrderConfirmed": "orders",
    "OrderCancelled": "orders",
    "OrderAmended": "orders",
    "InventoryAdjusted": "inventory",
    "OutOfStock": "inventory",
    "PaymentInitiated": "orders",
    "PaymentProcessed": "payments",
    "ShipmentCreated": "shipping",
    "ShipmentDispatched": "shipping",
    "ShipmentInTransit": "shipping",
    "ShipmentDelivered": "shipping",
    "DeliveryFailed": "shipping",
    "ReturnInitiated": "shipping",
    "UserSubscriptionStarted": "subscriptions",
    "UserSubscriptionCancelled": "subscriptions",
}


def run(*args) -> str:
    out = StringIO()
    call_command("events", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def catalogue_json():
    return {row["name"]: row for row in json.loads(run("--json"))}


def test_json_catalogue_lists_every_design_event_with_its_publisher(catalogue_json):
    for name, publisher in DESIGN_EVENTS.items():
        assert name in catalogue_json, f"{name} missing from the catalogue"
        assert catalogue_json[name]["publisher"] == publisher, name
        assert catalogue_json[name]["version"] >= 1


def test_json_catalogue_rows_have_the_documented_shape_and_cover_every_contract(catalogue_json):
    assert set(catalogue_json) == {cls.name for cls in all_events()}
    for row in catalogue_json.values():
        assert set(row) == {"name", "version", "publisher", "subscribers", "kinds"}
        assert isinstance(row["subscribers"], list)
        assert set(row["kinds"]) <= set(row["subscribers"])  # {subscriber: the kinds it wants}


def test_each_rows_subscribers_are_the_registered_ones(catalogue_json):
    for name, row in catalogue_json.items():
        assert row["subscribers"] == sorted(sub.name for sub in subscribers_for(name)), name
    assert catalogue_json["ProbeHappened"]["subscribers"] == [
        "probe.record_first",
        "probe.record_flaky",
        "probe.record_second",
    ]


def test_table_prints_one_line_per_event_with_publisher_and_subscribers(catalogue_json):
    lines = run().splitlines()
    assert lines[0].split() == ["EVENT", "V", "PUBLISHER", "SUBSCRIBERS"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == set(catalogue_json)
    for name, row in catalogue_json.items():
        name_col, version, publisher, *subscribers = rows[name].split(maxsplit=3)
        assert (name_col, int(version), publisher) == (name, row["version"], row["publisher"])
        shown = [f"{n} ({row['kinds'][n]})" if n in row["kinds"] else n for n in row["subscribers"]]
        assert subscribers == [", ".join(shown) or "-"]


# DESIGN.md's subscriber column, as contexts: every context is built, subscriptions included.
DESIGN_SUBSCRIBERS = {
    "OrderConfirmed": {"inventory", "shipping"},
    "OrderCancelled": {"inventory"},
    "OrderAmended": {"inventory"},
    "InventoryAdjusted": {"orders", "payments", "notifications"},
    "OutOfStock": {"orders", "notifications"},
    "PaymentInitiated": {"payments"},
    "PaymentProcessed": {"orders", "shipping", "notifications", "subscriptions"},
    **{
        name: {"orders", "notifications"}
        for name in [
            "ShipmentCreated",
            "ShipmentDispatched",
            "ShipmentInTransit",
            "ShipmentDelivered",
            "DeliveryFailed",
            "ReturnInitiated",
        ]
    },  # fmt: skip
    "UserSubscriptionStarted": {"payments"},
    "UserSubscriptionCancelled": {"orders"},
}
NOT_BUILT_YET: set[str] = set()


def test_design_subscriber_table_is_wired(catalogue_json):
    for name, contexts in DESIGN_SUBSCRIBERS.items():
        wired = {subscriber.split(".")[0] for subscriber in catalogue_json[name]["subscribers"]}
        assert contexts - NOT_BUILT_YET <= wired, f"{name}: {sorted(contexts - NOT_BUILT_YET - wired)} not subscribed"
