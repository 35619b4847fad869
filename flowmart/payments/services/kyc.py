"""Seller verification (KYC): no payout before a seller is verified.

The status comes from Stripe Connect onboarding (an Express account; `account.updated`
webhooks say what Stripe still requires) or is set by operations with who and why. Every
change is a KycDecision row (the audit trail) and a SellerVerificationChanged event."""

from django.db import transaction
from django.utils import timezone

from flowmart.common.errors import InvalidRequest
from flowmart.contracts.payments import SellerVerificationChanged
from flowmart.events import publish

from ..gateways.connect import ConnectAccount, StripeConnect
from ..models import KycDecision, KycStatus, SellerAccount
from . import settlements


def status_of(account: ConnectAccount) -> str:
    """Verified when Stripe lets the account take charges and receive payouts with nothing due;
    rejected when Stripe disabled it as rejected; pending while requirements are open."""
    if account.disabled_reason.startswith("rejected"):
        return KycStatus.REJECTED
    if account.charges_enabled and account.payouts_enabled and not account.requirements_due:
        return KycStatus.VERIFIED
    return KycStatus.PENDING


def _decide(seller: SellerAccount, status: str, source: str, by: str, reason: str) -> KycDecision | None:
    """Record and publish a change (call with the seller row locked). Operations' decisions are
    kept even when they confirm the status (who looked, and why); Stripe's only when it changes."""
    previous = seller.kyc_status
    seller.kyc_status, seller.kyc_updated_at = status, timezone.now()
    seller.save()
    if previous == status and source == KycDecision.Source.STRIPE:
        return None
    decision = KycDecision.objects.create(
        seller=seller, status=status, previous_status=previous, source=source, decided_by=by[:150], reason=reason[:500]
    )
    if previous == status:
        return decision
    publish(
        SellerVerificationChanged(
            seller_id=seller.seller_id, status=status, previous_status=previous, source=source, reason=reason
        )
    )
    return decision


def set_by_operations(seller_id: int, status: str, staff: str, reason: str) -> KycDecision:
    """Operations verified (or unverified, rejected) a seller themselves: who and why are kept."""
    reason = (reason or "").strip()
    if status not in KycStatus.values:
        raise InvalidRequest("Unknown KYC status.", fields={"status": [f"One of {', '.join(KycStatus.values)}."]})
    if len(reason) < 5:
        raise InvalidRequest("Say why (at least 5 characters).", fields={"reason": ["Say why."]})
    with transaction.atomic():
        settlements.known_seller(seller_id)
        seller = SellerAccount.objects.select_for_update().get(seller_id=seller_id)
        return _decide(seller, status, KycDecision.Source.OPERATIONS, staff, reason)


def start_onboarding(seller_id: int, refresh_url: str, return_url: str) -> str:
    """Create the seller's Express account once (idempotent per seller) and a fresh onboarding link."""
    connect = StripeConnect.from_settings()
    with transaction.atomic():
        settlements.known_seller(seller_id)
        seller = SellerAccount.objects.select_for_update().get(seller_id=seller_id)
        if not seller.stripe_account_id:
            account = connect.create_account(seller_id)
            seller.stripe_account_id = account.account_id
            _apply(seller, account, "stripe onboarding started")
    return connect.onboarding_link(seller.stripe_account_id, refresh_url, return_url)


def _apply(seller: SellerAccount, account: ConnectAccount, by: str) -> str:
    seller.charges_enabled, seller.payouts_enabled = account.charges_enabled, account.payouts_enabled
    seller.requirements_due = list(account.requirements_due)
    status = status_of(account)
    flags = [
        f"charges {'on' if account.charges_enabled else 'off'}",
        f"payouts {'on' if account.payouts_enabled else 'off'}",
        "due: " + (", ".join(account.requirements_due) or "nothing"),
    ]
    why = "Stripe: " + "; ".join(flags + ([account.disabled_reason] if account.disabled_reason else []))
    _decide(seller, status, KycDecision.Source.STRIPE, by, why)
    return status


def account_updated(obj: dict) -> str:
    """The account.updated webhook (verified by the webhook endpoint): follow Stripe's verdict."""
    from ..gateways.connect import account_state

    account = account_state(obj)
    with transaction.atomic():
        seller = SellerAccount.objects.select_for_update().filter(stripe_account_id=account.account_id).first()
        if seller is None:
            seller_id = (obj.get("metadata") or {}).get("flowmart_seller_id")
            if not seller_id:
                return "unknown account"
            settlements.known_seller(int(seller_id))
            seller = SellerAccount.objects.select_for_update().get(seller_id=int(seller_id))
            seller.stripe_account_id = account.account_id
        return f"kyc {_apply(seller, account, 'stripe account.updated')}"
