"""One trusted client address (flowmart/common/client.py), and the log lines that carry it."""

import logging

import pytest
from django.test import RequestFactory

from flowmart.common.client import client_ip

rf = RequestFactory()


def address(remote="198.51.100.7", forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(rf.get("/", REMOTE_ADDR=remote, **extra))


def test_by_default_the_header_is_ignored_entirely(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, []
    assert address(forwarded="203.0.113.9") == "198.51.100.7"
    assert address(forwarded="garbage, 1.2.3.4") == "198.51.100.7"


@pytest.mark.parametrize(
    "count, forwarded, expected",
    [
        (1, "203.0.113.9", "203.0.113.9"),  # the proxy appended the client it saw
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # what the client claimed itself is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.5", "203.0.113.9"),  # two proxies of ours
        (2, "203.0.113.9", "203.0.113.9"),  # a shorter chain than configured: its first hop
        (1, "", "198.51.100.7"),  # no header: the peer
        (1, "not-an-address", "198.51.100.7"),  # a malformed trusted hop: the peer, never garbage
        (1, "203.0.113.9:4711", "203.0.113.9"),  # a port is dropped
        (1, "[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_a_proxy_count_believes_that_many_hops_from_the_right(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = count, []
    assert address(forwarded=forwarded) == expected


def test_a_proxy_list_believes_the_header_only_from_those_proxies(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, ["10.0.0.0/8"]
    assert address(remote="10.0.0.2", forwarded="6.6.6.6, 203.0.113.9, 10.1.2.3") == "203.0.113.9"
    assert address(remote="198.51.100.7", forwarded="203.0.113.9") == "198.51.100.7"  # not via our proxy
    assert address(remote="10.0.0.2", forwarded="10.1.1.1") == "10.0.0.2"  # only proxies: the peer


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_client_address(client, settings, caplog):
    settings.ROOT_URLCONF = "tests.common.urls"
    settings.TRUSTED_PROXY_COUNT = 1
    with caplog.at_level(logging.ERROR, logger="flowmart.api"):
        client.get("/api/v1/test/crash/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    record = next(r for r in caplog.records if r.name == "flowmart.api")  # logged inside the request
    assert record.client_ip == "203.0.113.9"
