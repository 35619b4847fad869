"""Behind the documented proxy, fraud screening sees each customer's own address (from
X-Forwarded-For, trusted as far as TRUSTED_PROXY_COUNT says), not the proxy's."""

import pytest

from flowmart.payments.models import Payment

from .conftest import RELAXED_FRAUD, checkout, register

pytestmark = pytest.mark.django_db(transaction=True)

PROXY = "10.0.0.2"


def buyer(forwarded: str):
    client = register()
    client.defaults.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {forwarded}")
    return client


def test_two_customers_behind_the_proxy_are_counted_separately_by_the_per_ip_rule(shop, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # One earlier order from an address is enough for the per-IP rule to block the next one.
    settings.PAYMENTS_FRAUD = {**RELAXED_FRAUD, "MAX_ORDERS_PER_IP": 1, "WEIGHTS": {"velocity_ip": 100}}

    first = checkout(buyer("203.0.113.10"), {"FLOW-RED": 1})
    second = checkout(buyer("198.51.100.20"), {"FLOW-RED": 1})
    third = checkout(buyer("203.0.113.10"), {"FLOW-RED": 1})  # the first customer's address again

    assert [o["status"] for o in (first, second)] == ["paid", "paid"]
    assert third["status"] == "cancelled"
    ips = {p.order_id: p.client_ip for p in Payment.objects.all()}
    assert ips[first["order_id"]] == ips[third["order_id"]] == "203.0.113.10"
    assert ips[second["order_id"]] == "198.51.100.20"
    assert PROXY not in ips.values() and "6.6.6.6" not in ips.values()
