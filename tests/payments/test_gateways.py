"""The gateway protocol on both providers: authorise-then-capture, retrieve, cancel, refunds."""

from decimal import Decimal

import pytest

from flowmart.common.money import Money
from flowmart.payments.gateways import ChargeRequest, ProviderRefused, ProviderUnavailable, get_gateway

pytestmark = pytest.mark.django_db(transaction=True)


def usd(amount):
    return Money(Decimal(amount), "USD")


@pytest.fixture(params=["dummy", "stripe"])
def gateway(request):
    if request.param == "stripe":
        request.getfixturevalue("stripe_on")
    return get_gateway(request.param)


def test_authorise_then_capture_less(gateway):
    request = ChargeRequest(
        amount=usd("30.00"), payment_method="pm_card_visa", idempotency_key="cap-1", capture_later=True
    )
    authorised = gateway.create_and_confirm(request)
    assert authorised.status == "requires_capture"
    assert gateway.create_and_confirm(request).intent_id == authorised.intent_id  # idempotent per key
    captured = gateway.capture(authorised.intent_id, usd("25.00"))
    assert (captured.status, captured.amount) == ("succeeded", usd("25.00"))
    assert gateway.retrieve(authorised.intent_id).status == "succeeded"
    refund = gateway.refund(authorised.intent_id, usd("5.00"), "cap-1-refund")
    assert refund.amount == usd("5.00")
    assert gateway.refund(authorised.intent_id, usd("5.00"), "cap-1-refund").refund_id == refund.refund_id
    with pytest.raises(ProviderRefused):
        gateway.refund(authorised.intent_id, usd("50.00"), "cap-1-too-much")


def test_cancel_an_authorisation(gateway):
    request = ChargeRequest(
        amount=usd("9.00"), payment_method="pm_card_visa", idempotency_key="cap-2", capture_later=True
    )
    intent_id = gateway.create_and_confirm(request).intent_id
    assert gateway.cancel(intent_id).status == "canceled"


@pytest.mark.parametrize(
    ("pm", "status", "code"),
    [
        ("pm_card_visa", "succeeded", None),
        ("pm_card_chargeDeclined", "failed", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "failed", "insufficient_funds"),
        ("pm_card_authenticationRequired", "requires_action", None),
        ("pm_card_radarBlock", "failed", "fraudulent"),
    ],
)
def test_test_payment_methods(gateway, pm, status, code):
    outcome = gateway.create_and_confirm(
        ChargeRequest(amount=usd("10.00"), payment_method=pm, idempotency_key=f"t-{pm}")
    )
    assert (outcome.status, outcome.failure_code) == (status, code)
    info = gateway.describe_payment_method(pm)
    assert info.brand == "visa" and info.country == "US" and info.fingerprint


def test_off_session_authentication_required_fails(gateway):
    customer = gateway.save_payment_method(1, "a@example.com", "pm_card_authenticationRequired")
    outcome = gateway.create_and_confirm(
        ChargeRequest(
            amount=usd("10.00"),
            payment_method="pm_card_authenticationRequired",
            idempotency_key="off-1",
            customer_ref=customer,
            off_session=True,
        )
    )
    assert (outcome.status, outcome.failure_code) == ("failed", "authentication_required")


def test_unknown_and_unconfigured_providers(settings):
    settings.STRIPE_SECRET_KEY = ""
    for name in ("stripe", "paypal", ""):
        with pytest.raises(ProviderUnavailable):
            get_gateway(name)


def test_checkout_accepts_exactly_the_ids_the_dummy_simulates():
    """contracts.payments.DUMMY_PAYMENT_METHODS is what orders lets through for the dummy provider."""
    from flowmart.contracts.payments import DUMMY_PAYMENT_METHODS
    from flowmart.payments.gateways.dummy import TEST_CARDS

    assert set(DUMMY_PAYMENT_METHODS) == set(TEST_CARDS)
