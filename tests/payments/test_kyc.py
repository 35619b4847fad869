"""KYC: Stripe Connect onboarding through the SDK (Express account, onboarding link) against
the fake Stripe, the verdict from the account.updated webhook through the verified endpoint,
and operations' decisions with who and why."""

import pytest

from flowmart.common.errors import InvalidRequest
from flowmart.events.models import OutboxEvent
from flowmart.payments.models import KycDecision, SellerAccount
from flowmart.payments.services import kyc

from . import stripe_signing

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/payments/stripe/webhook/"


def deliver(client, secret, event_type, obj):
    body = stripe_signing.event(event_type, obj)
    return client.generic(
        "POST", URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=stripe_signing.sign(body, secret)
    )


def test_onboarding_creates_one_express_account_and_a_link(stripe_on):
    url = kyc.start_onboarding(5, "https://shop.test/refresh", "https://shop.test/back")
    assert url.startswith("https://connect.stripe.com/setup/")
    kyc.start_onboarding(5, "https://shop.test/refresh", "https://shop.test/back")  # a fresh link, same account
    assert len(stripe_on.accounts) == 1
    account = next(iter(stripe_on.accounts.values()))
    assert account["type"] == "express" and account["metadata"] == {"flowmart_seller_id": "5"}
    seller = SellerAccount.objects.get(seller_id=5)
    assert seller.stripe_account_id == account["id"] and seller.kyc_status == "pending"
    assert "individual.verification.document" in seller.requirements_due


def test_account_updated_webhook_verifies_the_seller(api_client, stripe_on):
    kyc.start_onboarding(5, "https://shop.test/r", "https://shop.test/b")
    seller = SellerAccount.objects.get(seller_id=5)
    assert (
        deliver(
            api_client,
            "whsec_test_flowmart",
            "account.updated",
            stripe_on.complete_onboarding(seller.stripe_account_id),
        ).status_code
        == 200
    )
    seller.refresh_from_db()
    assert (seller.kyc_status, seller.charges_enabled, seller.payouts_enabled) == ("verified", True, True)
    decision = KycDecision.objects.filter(seller=seller).first()
    assert (decision.source, decision.previous_status, decision.status) == ("stripe", "pending", "verified")
    events = [e.payload for e in OutboxEvent.objects.filter(name="SellerVerificationChanged").order_by("id")]
    assert [(e["seller_id"], e["status"], e["source"]) for e in events] == [
        (5, "pending", "stripe"),
        (5, "verified", "stripe"),
    ]


def test_a_forged_account_updated_changes_nothing(api_client, stripe_on):
    kyc.start_onboarding(5, "https://shop.test/r", "https://shop.test/b")
    seller = SellerAccount.objects.get(seller_id=5)
    forged = deliver(
        api_client, "whsec_wrong", "account.updated", stripe_on.complete_onboarding(seller.stripe_account_id)
    )
    assert forged.status_code == 400
    seller.refresh_from_db()
    assert seller.kyc_status == "pending"


def test_stripe_rejection_is_recorded(api_client, stripe_on):
    kyc.start_onboarding(6, "https://shop.test/r", "https://shop.test/b")
    seller = SellerAccount.objects.get(seller_id=6)
    deliver(
        api_client,
        "whsec_test_flowmart",
        "account.updated",
        stripe_on.complete_onboarding(seller.stripe_account_id, rejected=True),
    )
    seller.refresh_from_db()
    assert seller.kyc_status == "rejected" and "rejected.fraud" in seller.kyc_decisions.first().reason


def test_operations_verification_records_who_and_why():
    decision = kyc.set_by_operations(11, "verified", "ops@example.com", "passport and bank statement checked")
    assert (decision.decided_by, decision.reason, decision.source) == (
        "ops@example.com",
        "passport and bank statement checked",
        "operations",
    )
    assert decision.previous_status == "unverified" and decision.created_at
    assert SellerAccount.objects.get(seller_id=11).verified
    with pytest.raises(InvalidRequest):
        kyc.set_by_operations(11, "unverified", "ops@example.com", "  ")
    assert SellerAccount.objects.get(seller_id=11).verified
