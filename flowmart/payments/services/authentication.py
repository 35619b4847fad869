"""3-D Secure: the customer authenticates at the provider, then the payment completes.

Two doors lead back to us and either may come first, twice, or alone: the provider's
notification (Stripe's webhook; for the dummy provider, its own page telling us right after
the customer pressed a button) and the customer's browser coming back to the return URL.
Both only ask the provider for the intent's state and hand it to `settle_payment`, which
moves an attempt out of requires_action once: one PaymentProcessed, one capture.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from ..gateways import ProviderRefused, get_gateway
from ..gateways.dummy import DummyGateway
from ..models import DummyIntent, Payment, PaymentAttempt
from . import charging

logger = logging.getLogger("flowmart.payments")


class UnknownIntent(LookupError):
    pass


@dataclass(frozen=True)
class Completion:
    order_id: int
    payment_status: str
    changed: bool


def dummy_intent(intent_id: str) -> DummyIntent:
    intent = DummyIntent.objects.filter(intent_id=intent_id).first()
    if intent is None:
        raise UnknownIntent(intent_id)
    return intent


def dummy_customer_decided(intent_id: str, approve: bool) -> Completion:
    """The customer pressed approve or decline on the dummy provider's page: the provider
    records it and notifies us at once (the dummy's webhook)."""
    dummy_intent(intent_id)
    DummyGateway().complete_authentication(intent_id, succeed=approve)
    return complete(intent_id)


def complete(intent_id: str) -> Completion:
    """Settle an intent from the provider's own record of it (return URL and notifications)."""
    attempt = (
        PaymentAttempt.objects.filter(provider_intent_id=intent_id, payment__isnull=False)
        .select_related("payment")
        .first()
    )
    if attempt is None:
        raise UnknownIntent(intent_id)
    try:
        outcome = get_gateway(attempt.payment.provider).retrieve(intent_id)
    except ProviderRefused as exc:
        logger.warning("intent %s could not be read back: %s", intent_id, exc)
        raise UnknownIntent(intent_id) from exc
    with transaction.atomic():
        changed = charging.settle_payment(outcome, attempt_id=attempt.pk)
    payment = Payment.objects.only("order_id", "status").get(pk=attempt.payment_id)
    return Completion(order_id=payment.order_id, payment_status=payment.status, changed=changed)
