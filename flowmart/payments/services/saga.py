"""Payments' part of the checkout saga: hold PaymentInitiated and the order's stock
reservation, in whichever order they arrive, and charge only when both are held and
neither OutOfStock nor OrderCancelled has been heard. Amendments, cancellations,
refund requests and subscription set-up live here too."""

import logging
import re
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .. import selectors
from ..gateways import ProviderRefused, ProviderUnavailable, get_gateway
from ..locks import lock_order
from ..models import Amendment, FailureCode, OrderDiscount, OrderSignal, Payment, PaymentAttempt, SavedPaymentMethod
from ..models.rows import insert_returning
from . import charging, refunds

logger = logging.getLogger("flowmart.payments")
S = Payment.Status
K = OrderSignal.Kind
PROVIDER_ID = re.compile(r"[a-z]{2,8}_[A-Za-z0-9_]{3,100}")  # pm_card_visa, pm_1Nx..., card_...


def record_signal(order_id: int, kind: str, amendment_id: str | None = None) -> None:
    """Signals are facts: one heard before is left as it is (INSERT … ON CONFLICT DO NOTHING,
    one statement and no savepoint)."""
    OrderSignal.objects.bulk_create(
        [OrderSignal(order_id=order_id, kind=kind, amendment_id=amendment_id or "")], ignore_conflicts=True
    )


def provider_method_id(value: str) -> str:
    """Only a provider's payment-method id may enter our tables; anything else (a card
    number above all) is replaced before it is stored, and never logged."""
    return value if PROVIDER_ID.fullmatch(value or "") else ""


def payment_initiated(event) -> None:
    method = provider_method_id(event.payment_method)
    # savepoint=False here and in stock_reserved: the delivery's transaction is the unit of work.
    with transaction.atomic(savepoint=False):
        lock_order(event.order_id)
        payment = Payment(
            order_id=event.order_id,
            order_number=event.order_number,
            customer_id=event.customer_id,
            customer_email=event.customer_email,
            customer_since=event.customer_since,
            amount=event.amount.amount,
            currency=event.amount.currency,
            provider=event.provider,
            payment_method=method,
            subscription_id=event.subscription_id,
            renewal_key=event.renewal_key or "",
            renewal_cycle=event.renewal_cycle,
            renewal_attempt=event.renewal_attempt,
            client_ip=event.client_ip or None,
            shipping_country=event.shipping_country or "",
            item_count=event.item_count,
            correlation_id=event.correlation_id,
        )
        # One INSERT … ON CONFLICT (order_id) DO NOTHING RETURNING the order's signals: nothing
        # inserted is a redelivery (the payment was held before), with no read first, no
        # savepoint, and the signals read by the same statement, after the lock was taken.
        heard = insert_returning(payment, "order_id", *_signals_heard(event.order_id))
        if heard is None:
            return
        if not method:
            logger.warning("order %s: payment method is not a provider id; refused", event.order_id)
            charging.fail_payment(payment, FailureCode.PROCESSING_ERROR)
        else:
            try_to_charge(event.order_id, payment, _heard(payment, heard))


def _signals_heard(order_id: int) -> tuple[str, list]:
    """SQL of one EXISTS per signal kind (in K.values' order) of the order itself (not an
    amendment's), then one for a discount of the order still to be posted: read under the
    order's lock, which the discount's writer takes too (ledger.note_order_discount), so a
    capture in this transaction need not look for one again (ledger.post_discount)."""
    ops = connection.ops
    signal = (
        f"EXISTS (SELECT 1 FROM {ops.quote_name(OrderSignal._meta.db_table)} "
        "WHERE order_id = %s AND amendment_id = '' AND kind = %s)"
    )
    discount = (
        f"EXISTS (SELECT 1 FROM {ops.quote_name(OrderDiscount._meta.db_table)} "
        "WHERE order_id = %s AND posted = %s AND amount > 0)"
    )
    params = [p for kind in K.values for p in (order_id, kind)]
    return ", ".join([signal] * len(K.values) + [discount]), [*params, order_id, False]


def _heard(payment: Payment, flags) -> set[str]:
    """The kinds _signals_heard's flags say were heard; the discount's flag goes on the payment."""
    *kinds, payment.discount_waiting = (bool(flag) for flag in flags)
    return {kind for kind, yes in zip(K.values, kinds, strict=True) if yes}


def stock_reserved(order_id: int, amendment_id: str | None) -> None:
    with transaction.atomic(savepoint=False):
        lock_order(order_id)
        if amendment_id:
            record_signal(order_id, K.RESERVED, amendment_id)
            charge_amendment(amendment_id)
        elif connection.vendor == "postgresql":
            payment, kinds = _reserved_then_payment(order_id)
            if payment is not None:
                try_to_charge(order_id, payment, kinds)
        else:
            record_signal(order_id, K.RESERVED)
            try_to_charge(order_id)


def _reserved_then_payment(order_id: int) -> tuple[Payment | None, set[str]]:
    """PostgreSQL: the reservation's signal inserted (ON CONFLICT DO NOTHING) and the order's
    payment read and locked with the signals heard, in one statement instead of three. The
    order's lock is held already, so the statement's snapshot has every signal written before;
    its own insert is not in that snapshot, and is added to the kinds here."""
    ops, fields = connection.ops, Payment._meta.concrete_fields
    heard, params = _signals_heard(order_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH reserved AS (INSERT INTO {ops.quote_name(OrderSignal._meta.db_table)} "
            "(order_id, amendment_id, kind, received_at) VALUES (%s, '', %s, %s) ON CONFLICT DO NOTHING) "
            f"SELECT {', '.join(ops.quote_name(f.column) for f in fields)}, {heard} "
            f"FROM {ops.quote_name(Payment._meta.db_table)} WHERE order_id = %s FOR UPDATE",
            [order_id, K.RESERVED.value, timezone.now(), *params, order_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None, {K.RESERVED}
    # PostgreSQL hands every Payment column back as its field holds it (inet as text): no converters.
    payment = Payment.from_db(connection.alias, [f.attname for f in fields], row[: len(fields)])
    return payment, _heard(payment, row[len(fields) :]) | {K.RESERVED}


def out_of_stock(order_id: int, amendment_id: str | None) -> None:
    with transaction.atomic():
        lock_order(order_id)
        record_signal(order_id, K.OUT_OF_STOCK, amendment_id)
        if amendment_id:
            Amendment.objects.filter(amendment_id=amendment_id, status=Amendment.Status.AWAITING_STOCK).update(
                status=Amendment.Status.REJECTED
            )
        else:
            _cancel_uncharged(order_id)


def try_to_charge(order_id: int, payment: Payment | None = None, kinds: set[str] | None = None) -> None:
    """Charge when both halves are held; whichever arrives second calls this. `payment`: the
    row this transaction just inserted (and so holds locked), else it is read and locked;
    `kinds`: the order's signals as read under the order's lock, else they are read."""
    if payment is None:
        payment = Payment.objects.select_for_update().filter(order_id=order_id).first()
    if payment is None or payment.status not in (S.PENDING, S.AWAITING_STOCK):
        return
    if kinds is None:
        kinds = set(OrderSignal.objects.filter(order_id=order_id, amendment_id="").values_list("kind", flat=True))
    if kinds & {K.CANCELLED, K.OUT_OF_STOCK}:
        payment.status = S.CANCELLED
        payment.save(update_fields=["status", "updated_at"])
    elif K.RESERVED not in kinds:
        payment.status = S.AWAITING_STOCK
        payment.save(update_fields=["status", "updated_at"])
    else:
        charging.screen_and_charge(payment)


def _cancel_uncharged(order_id: int) -> Payment | None:
    payment = Payment.objects.select_for_update().filter(order_id=order_id).first()
    if payment is not None and payment.status in (*Payment.CHARGEABLE, S.REQUIRES_ACTION):
        payment.status = S.CANCELLED
        payment.save(update_fields=["status", "updated_at"])
    return payment


def order_cancelled(order_id: int) -> None:
    """Never charge a cancelled order; cancel open intents, refund whatever was captured."""
    with transaction.atomic():
        lock_order(order_id)
        record_signal(order_id, K.CANCELLED)
        payment = _cancel_uncharged(order_id)
        if payment is None:
            return
        for attempt in payment.attempts.filter(status=PaymentAttempt.Status.REQUIRES_ACTION):
            # If the customer authenticated meanwhile the intent succeeded: settle it, then refund below.
            outcome = get_gateway(payment.provider).cancel(attempt.provider_intent_id)
            charging.settle_payment(outcome, attempt_id=attempt.pk)
        payment.refresh_from_db()
        if payment.refundable > 0:
            refunds.refund_payment(payment.pk, payment.refundable, f"order-cancelled-{order_id}", "order_cancelled")


def order_amended(event) -> None:
    """Refund a decrease now; charge an increase once its stock is reserved."""
    with transaction.atomic():
        lock_order(event.order_id)
        new, old = event.new_total.amount, event.old_total.amount
        amendment, created = Amendment.objects.get_or_create(
            amendment_id=event.amendment_id,
            defaults={
                "order_id": event.order_id,
                "old_total": old,
                "new_total": new,
                "currency": event.new_total.currency,
                "status": Amendment.Status.IGNORED,
            },
        )
        if not created:
            return
        payment = Payment.objects.select_for_update().filter(order_id=event.order_id).first()
        if payment is None or payment.status in (S.FAILED, S.CANCELLED) or new == old:
            return
        if payment.status in Payment.CHARGEABLE:
            payment.amount = new  # nothing captured yet: charge the new total
            payment.save(update_fields=["amount", "updated_at"])
            amendment.status = Amendment.Status.ABSORBED
        elif new < old:
            refunds.refund_payment(payment.pk, old - new, f"amendment-{event.amendment_id}", "order_amended")
            amendment.status = Amendment.Status.REFUNDED
        else:
            amendment.status = Amendment.Status.AWAITING_STOCK
        amendment.save(update_fields=["status"])
        if amendment.status == Amendment.Status.AWAITING_STOCK:
            charge_amendment(event.amendment_id)


def charge_amendment(amendment_id: str) -> None:
    """Charge an amendment's increase off-session, once InventoryAdjusted(reserved, amendment_id) is held."""
    amendment = Amendment.objects.filter(amendment_id=amendment_id).first()
    if amendment is None or amendment.status != Amendment.Status.AWAITING_STOCK:
        return
    kinds = set(
        OrderSignal.objects.filter(order_id=amendment.order_id, amendment_id=amendment_id).values_list(
            "kind", flat=True
        )
    )
    if K.OUT_OF_STOCK in kinds:  # inventory refused it, possibly before OrderAmended reached us
        amendment.status = Amendment.Status.REJECTED
        amendment.save(update_fields=["status"])
        return
    if K.RESERVED not in kinds:
        return
    payment = Payment.objects.select_for_update().get(order_id=amendment.order_id)
    if payment.status not in Payment.CAPTURED:
        return
    attempt, created = PaymentAttempt.objects.get_or_create(
        idempotency_key=f"flowmart-order-{payment.order_id}-amend-{amendment_id}",
        defaults={
            "payment": payment,
            "purpose": "amendment",
            "amendment_id": amendment_id,
            "amount": amendment.new_total - amendment.old_total,
            "currency": payment.currency,
            "off_session": True,  # the customer is not there: a saved (stripe) or the original (dummy) method
        },
    )
    if created:
        gateway = get_gateway(payment.provider)
        charging.run_attempt(payment, attempt, gateway, payment.payment_method, payment.provider_customer_id)


def refund_requested(order_id: int, amount: Decimal, reference: str, reason: str) -> None:
    payment = selectors.payment_for_order(order_id)
    if payment is None:
        logger.warning("refund %s requested for order %s without a payment", reference, order_id)
        return
    refunds.refund_payment(payment.pk, amount, reference, reason)


def subscription_started(event) -> None:
    """Save the payment method for off-session renewals (customer + attach on Stripe)."""
    try:
        gateway = get_gateway(event.provider)
    except ProviderUnavailable:
        logger.warning("subscription %s: provider %s unavailable", event.subscription_id, event.provider)
        return
    # A transient GatewayError propagates: the delivery is retried, and the provider calls are idempotent.
    try:
        email = getattr(event, "customer_email", "")  # SubscriptionChanged (a new method) carries none
        ref = gateway.save_payment_method(event.customer_id, email, event.payment_method)
    except ProviderRefused as exc:
        logger.warning("subscription %s: payment method refused by %s: %s", event.subscription_id, event.provider, exc)
        return
    SavedPaymentMethod.objects.update_or_create(
        subscription_id=event.subscription_id,
        defaults={
            "customer_id": event.customer_id,
            "provider": event.provider,
            "payment_method": event.payment_method,
            "provider_customer_id": ref,
        },
    )


def order_claimed(order_id: int, customer_id: int) -> None:
    """A guest's order found its account: its payment is that customer's from now on."""
    with transaction.atomic():
        Payment.objects.filter(order_id=order_id, customer_id__isnull=True).update(customer_id=customer_id)
