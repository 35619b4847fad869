"""Charging: fraud screening, the call to the provider, and `settle_payment`, the one
idempotent command through which every provider outcome (synchronous answer, webhook,
staff refresh) enters our books.

settle_payment locks the Payment row and only a transition of an attempt into
succeeded/failed writes the ledger and publishes PaymentProcessed, so the sync path
racing a webhook yields one event and one capture however they interleave.

The initial charge writes its payment row once, with the outcome: the card's details, the
customer ref and `processing` are set on the locked row in memory and saved with whatever
the provider answered (nobody else sees the row before commit, so an earlier write of each
would only cost statements).
"""

import logging

from django.db import transaction
from django.utils import timezone

from flowmart.contracts.payments import PaymentActionRequired, PaymentHeldForReview, PaymentProcessed
from flowmart.events import publish

from .. import fraud, ledger, selectors
from ..gateways import ChargeOutcome, ChargeRequest, Gateway, ProviderRefused, ProviderUnavailable, get_gateway
from ..models import Amendment, FailureCode, FraudAssessment, Payment, PaymentAttempt, SavedPaymentMethod
from ..models.rows import insert_new

logger = logging.getLogger("flowmart.payments")
S = Payment.Status
CARD_FIELDS = ["card_brand", "card_last4", "card_country", "card_fingerprint"]
# What charge() sets on the locked row in memory for the outcome's save to write (see above):
# every transition saves these with its own fields, and only those (not all thirty columns).
CHARGED_FIELDS = ["provider_customer_id", "status", *CARD_FIELDS, "updated_at"]
ATTEMPT_OUTCOME_FIELDS = ["status", "provider_intent_id", "failure_code", "settled_at"]


def publish_processed(payment: Payment, attempt: PaymentAttempt | None, status: str, failure_code: str = "") -> None:
    amount = attempt.amount if attempt is not None else payment.amount
    publish(
        PaymentProcessed(
            order_id=payment.order_id,
            payment_id=payment.pk,
            status=status,
            amount=payment.money(amount),
            provider=payment.provider,
            failure_code=failure_code or None,
            subscription_id=payment.subscription_id,
            amendment_id=(attempt.amendment_id or None) if attempt is not None else None,
            renewal_key=payment.renewal_key or None,
        )
    )


def fail_payment(payment: Payment, failure_code: str, also: list[str] | tuple = ()) -> None:
    """A failure before any provider call (fraud block, unavailable provider, staff reject);
    `also`: further fields set in memory that this save writes too."""
    payment.status, payment.failure_code = S.FAILED, failure_code
    payment.save(update_fields=["status", "failure_code", *also, "updated_at"])
    publish_processed(payment, None, "failed", failure_code)


def screen_and_charge(payment: Payment) -> None:
    """Fraud assessment first; only an allowed payment reaches the provider. Caller holds the row lock."""
    try:
        gateway = get_gateway(payment.provider)
    except ProviderUnavailable:
        logger.warning("payment %s: provider %s unavailable", payment.pk, payment.provider)
        return fail_payment(payment, FailureCode.PROCESSING_ERROR)
    method = gateway.describe_payment_method(payment.payment_method)
    # Written with the verdict's own save below (CARD_FIELDS): one UPDATE of the row, not two.
    payment.card_brand, payment.card_last4 = method.brand, method.last4
    payment.card_country, payment.card_fingerprint = method.country, method.fingerprint
    assessment = fraud.assess(payment, method)
    if assessment.outcome == FraudAssessment.Outcome.BLOCK:
        return fail_payment(payment, FailureCode.FRAUDULENT, also=CARD_FIELDS)
    if assessment.outcome == FraudAssessment.Outcome.REVIEW:
        payment.status = S.ON_HOLD
        payment.save(update_fields=["status", *CARD_FIELDS, "updated_at"])
        publish(
            PaymentHeldForReview(
                order_id=payment.order_id,
                payment_id=payment.pk,
                score=assessment.score,
                reasons=tuple(assessment.reasons),
            )
        )
        return None
    return charge(payment, gateway)


def _customer_ref(payment: Payment, gateway: Gateway) -> tuple[str, str, bool]:
    """(customer ref, payment method, off_session) for this payment's initial charge."""
    if payment.subscription_id and (payment.renewal_cycle or 0) > 1:
        return (*saved_method(payment, gateway), True)
    if payment.provider != "stripe" or payment.customer_id is None:
        # the dummy keeps no customers; a guest has no account to keep a Stripe customer for
        return "", payment.payment_method, False
    # Stripe: charge on a customer with setup_future_usage so an amendment can be charged off-session.
    earlier = (
        Payment.objects.filter(customer_id=payment.customer_id, provider="stripe")
        .exclude(provider_customer_id="")
        .values_list("provider_customer_id", flat=True)
        .first()
    )
    ref = earlier or gateway.ensure_customer(payment.customer_id, payment.customer_email)
    return ref, payment.payment_method, False


def saved_method(payment: Payment, gateway: Gateway) -> tuple[str, str]:
    """The subscription's saved method for an off-session renewal charge. The renewal names
    the method the subscription holds now; if payments has not heard of it yet (the customer
    just changed it and SubscriptionChanged is still on its way) it is attached here, at once,
    idempotently, so the retry that a payment-method change triggers uses the new card. A
    card the provider refuses to save is charged as it is: the decline says why, for dunning.
    Returns (provider customer ref, payment method)."""
    saved = SavedPaymentMethod.objects.filter(subscription_id=payment.subscription_id).first()
    if saved is not None and (saved.provider, saved.payment_method) == (payment.provider, payment.payment_method):
        return saved.provider_customer_id, saved.payment_method
    try:
        ref = gateway.save_payment_method(payment.customer_id, payment.customer_email, payment.payment_method)
    except ProviderRefused:
        return gateway.ensure_customer(payment.customer_id, payment.customer_email), payment.payment_method
    SavedPaymentMethod.objects.update_or_create(
        subscription_id=payment.subscription_id,
        defaults={
            "customer_id": payment.customer_id,
            "provider": payment.provider,
            "payment_method": payment.payment_method,
            "provider_customer_id": ref,
        },
    )
    return ref, payment.payment_method


def charge_key(payment: Payment) -> str:
    """The provider idempotency key of an order's charge; a renewal's is per (subscription,
    cycle, attempt), so a dunning retry is a new charge and a redelivery is the same one."""
    if payment.subscription_id and payment.renewal_cycle:
        attempt = payment.renewal_attempt or 1
        return f"flowmart-sub-{payment.subscription_id}-cycle-{payment.renewal_cycle}-attempt-{attempt}"
    return f"flowmart-order-{payment.order_id}-charge"


def charge(payment: Payment, gateway: Gateway) -> None:
    """The order's initial charge. Caller holds the row lock: the row is written once, by the
    outcome's transition, or here when the provider's answer moved nothing (still processing)."""
    customer_ref, method, off_session = _customer_ref(payment, gateway)
    payment.provider_customer_id = customer_ref
    payment.status = S.PROCESSING
    key = charge_key(payment)
    attempt = PaymentAttempt(
        idempotency_key=key,
        payment=payment,
        purpose="charge",
        amount=payment.amount,
        currency=payment.currency,
        off_session=off_session,
    )
    # Nearly always a new key: insert first (ON CONFLICT DO NOTHING, no savepoint); a key that is
    # there already (a redelivery, or a renewal's key met by another payment) is read and reused.
    if not insert_new(attempt, "idempotency_key"):
        attempt = PaymentAttempt.objects.get(idempotency_key=key)
    if not run_attempt(payment, attempt, gateway, method, customer_ref):
        payment.save(update_fields=CHARGED_FIELDS)


def run_attempt(payment: Payment, attempt: PaymentAttempt, gateway: Gateway, method: str, customer_ref: str) -> bool:
    """Call the provider and apply its outcome. The caller holds the payment's row lock and
    read the attempt under it, so the outcome is applied to these rows as they are (every
    writer of a payment or its attempts takes that lock first). True when the outcome moved
    state; for an initial charge that means the payment row was written."""
    outcome = gateway.create_and_confirm(
        ChargeRequest(
            amount=payment.money(attempt.amount),
            payment_method=method,
            idempotency_key=attempt.idempotency_key,
            customer_ref=customer_ref,
            off_session=attempt.off_session,
            save_for_future=bool(customer_ref) and not attempt.off_session,
            description=f"FlowMart order {payment.order_number or payment.order_id}",
            metadata={"order_id": payment.order_id, "payment_id": payment.pk, "attempt": attempt.idempotency_key},
        )
    )
    if attempt.payment_id != payment.pk:  # another payment's attempt (a shared key): settle it under its lock
        settle_payment(outcome, attempt_id=attempt.pk)
        return False
    return apply_outcome(payment, attempt, outcome)


def settle_payment(outcome: ChargeOutcome, attempt_id: int | None = None) -> bool:
    """Apply a provider outcome to our books. Idempotent; returns True when it changed state."""
    with transaction.atomic():
        lookup = {"pk": attempt_id} if attempt_id else {"provider_intent_id": outcome.intent_id}
        found = PaymentAttempt.objects.filter(**lookup).values_list("payment_id", flat=True).first()
        if found is None:
            logger.info("settle: no attempt for intent %s", outcome.intent_id)
            return False
        payment = Payment.objects.select_for_update().get(pk=found)
        attempt = PaymentAttempt.objects.get(**lookup)  # re-read under the lock
        return apply_outcome(payment, attempt, outcome)


def apply_outcome(payment: Payment, attempt: PaymentAttempt, outcome: ChargeOutcome) -> bool:
    """settle_payment's transitions, on rows read under the payment's lock. A transition
    saves the attempt with its intent id; without one the intent id alone is saved."""
    noted = bool(outcome.intent_id and not attempt.provider_intent_id)
    if noted:
        attempt.provider_intent_id = outcome.intent_id
    if outcome.status == "succeeded" and attempt.status != PaymentAttempt.Status.SUCCEEDED:
        _captured(payment, attempt, outcome)
        return True
    if attempt.status not in PaymentAttempt.TERMINAL:  # else a stale or duplicate outcome
        if outcome.status in ("failed", "canceled"):
            _failed(payment, attempt, outcome.failure_code or FailureCode.PROCESSING_ERROR, outcome.status)
            return True
        if outcome.status == "requires_action" and attempt.status != PaymentAttempt.Status.REQUIRES_ACTION:
            _requires_action(payment, attempt, outcome)
            return True
    if noted:
        attempt.save(update_fields=["provider_intent_id"])
    return False


def _captured(payment: Payment, attempt: PaymentAttempt, outcome: ChargeOutcome) -> None:
    attempt.status, attempt.settled_at = PaymentAttempt.Status.SUCCEEDED, timezone.now()
    attempt.captured_amount = outcome.amount.amount
    attempt.provider_charge_id = outcome.charge_id or attempt.provider_charge_id
    attempt.failure_code = ""
    attempt.save(update_fields=[*ATTEMPT_OUTCOME_FIELDS, "captured_amount", "provider_charge_id"])
    payment.captured_amount += attempt.captured_amount
    if outcome.brand and not payment.card_brand:
        payment.card_brand, payment.card_last4 = outcome.brand, outcome.last4
    if attempt.purpose == "charge":
        payment.status = S.PARTIALLY_REFUNDED if payment.refunded_amount else S.SUCCEEDED
        payment.failure_code, payment.next_action_url = "", ""
    payment.save(update_fields=["captured_amount", "failure_code", "next_action_url", *CHARGED_FIELDS])
    ledger.post(payment, "capture", attempt.captured_amount, attempt.idempotency_key)
    ledger.post_discount(payment)
    if attempt.amendment_id:
        Amendment.objects.filter(amendment_id=attempt.amendment_id).update(status=Amendment.Status.CHARGED)
    publish_processed(payment, attempt, "succeeded")


def _failed(payment: Payment, attempt: PaymentAttempt, failure_code: str, provider_status: str) -> None:
    attempt.status = PaymentAttempt.Status.CANCELLED if provider_status == "canceled" else PaymentAttempt.Status.FAILED
    attempt.failure_code, attempt.settled_at = failure_code, timezone.now()
    attempt.save(update_fields=ATTEMPT_OUTCOME_FIELDS)
    if attempt.amendment_id:
        Amendment.objects.filter(amendment_id=attempt.amendment_id).update(status=Amendment.Status.FAILED)
        publish_processed(payment, attempt, "failed", failure_code)
        return
    if payment.status in (S.PROCESSING, S.REQUIRES_ACTION):
        payment.status, payment.failure_code, payment.next_action_url = S.FAILED, failure_code, ""
        payment.save(update_fields=["failure_code", "next_action_url", *CHARGED_FIELDS])
        publish_processed(payment, attempt, "failed", failure_code)


def _requires_action(payment: Payment, attempt: PaymentAttempt, outcome: ChargeOutcome) -> None:
    attempt.status = PaymentAttempt.Status.REQUIRES_ACTION
    attempt.save(update_fields=["status", "provider_intent_id"])
    if attempt.purpose == "charge" and payment.status == S.PROCESSING:
        payment.status, payment.next_action_url = S.REQUIRES_ACTION, outcome.next_action_url or ""
        payment.save(update_fields=["next_action_url", *CHARGED_FIELDS])
        publish(
            PaymentActionRequired(
                order_id=payment.order_id,
                payment_id=payment.pk,
                next_action_url=outcome.next_action_url,
                client_secret=outcome.client_secret,
                provider=payment.provider,
            )
        )


def refresh_from_provider(payment_id: int) -> int:
    """Ask the provider for the state of every open attempt and settle it (staff action,
    and the webhook-equivalent for providers that send none)."""
    changed = 0
    for attempt in selectors.open_attempts(payment_id).select_related("payment"):
        gateway = get_gateway(attempt.payment.provider)
        changed += settle_payment(gateway.retrieve(attempt.provider_intent_id), attempt_id=attempt.pk)
    return changed


def simulate_customer_authentication(payment_id: int, succeed: bool = True) -> bool:
    """Dummy provider only: the customer completes (or fails) 3-D Secure, then we settle."""
    from ..gateways.dummy import DummyGateway

    with transaction.atomic():
        attempt = (
            PaymentAttempt.objects.filter(
                payment_id=payment_id, payment__provider="dummy", status=PaymentAttempt.Status.REQUIRES_ACTION
            )
            .exclude(provider_intent_id=None)
            .first()
        )
        if attempt is None:
            return False
        outcome = DummyGateway().complete_authentication(attempt.provider_intent_id, succeed=succeed)
        return settle_payment(outcome, attempt_id=attempt.pk)
