"""What each event tells the customer: the message, its data and its links.

Every function runs in the event handler's transaction and only writes Message rows (via
composing.queue); sending happens after commit. Events that do not carry the customer's
address get it from the local copies (projections): an order's from OrderConfirmed, a
parcel's tracking link from ShipmentCreated/Dispatched, a subscription's owner from
UserSubscriptionStarted.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from flowmart.contracts.orders import guest_order_path

from .. import links, selectors
from ..models import OrderCopy, ShipmentCopy, SubscriptionCopy
from . import composing
from .composing import Source

logger = logging.getLogger("flowmart.notifications")

# Cancellations a payment_failed message has already explained to the customer.
EXPLAINED_BY_PAYMENT_FAILED = {"payment_failed", "fraud_rejected"}


class NotYetKnown(Exception):
    """The event names an order (or subscription) whose copy has not arrived yet: raising
    fails this delivery, and the dispatcher retries it with backoff."""


def _known(model, event, **key):
    """The local copy the message needs; NotYetKnown while the event is young enough that
    the copy may still be on its way, None (and a log line) after that."""
    return _judged(model.objects.filter(**key).first(), model, event, key)


def _judged(found, model, event, key: dict):
    """_known() for a copy read already (None: not found)."""
    if found is not None and (getattr(found, "email", "") or getattr(found, "customer_id", None) is not None):
        return found
    age = timezone.now() - event.occurred_at
    if age < timedelta(seconds=settings.NOTIFICATIONS["RECIPIENT_WAIT_SECONDS"]):
        raise NotYetKnown(f"{model.__name__} {key} not known yet")
    logger.warning("%s for unknown %s %s: no customer message", event.name, model.__name__, key)
    return None


def _order_context(order: OrderCopy) -> dict:
    return {
        "order": {
            "id": order.order_id,
            "number": order.number or str(order.order_id),
            "lines": order.lines,
            "total": order.total,
            "shipping_address": order.shipping_address,
            "shipping_method": order.shipping_method,
        },
        "order_url": _order_link(order),
    }


def _order_link(order: OrderCopy) -> str:
    """A customer's account page; a guest (no account) gets the signed link orders made for
    their order (flowmart.contracts.orders.guest_order_path), which needs no login."""
    if order.customer_id is None and order.email:
        return links.public_url(guest_order_path(order.order_id, order.email))
    return links.order_url(order.order_id)


def _to_order_customer(event, type_name: str, order_id: int, extra: dict | None = None) -> None:
    # The copy and its customer's contact in one read.
    found, reach = selectors.order_and_reach(order_id)
    order = _judged(found, OrderCopy, event, {"order_id": order_id})
    if order is None:
        return
    recipient = composing.customer(order.customer_id, email=order.email, reach=reach)
    composing.queue(Source.of(event), type_name, [recipient], {**_order_context(order), **(extra or {})})


# --- orders and payments -------------------------------------------------------------


def payment_processed(ev) -> None:
    """Receipt for a paid order (its confirmation); a failed charge, unless a subscription
    renewal's (SubscriptionRenewalFailed tells that one)."""
    if ev.status == "succeeded":
        if not ev.amendment_id:
            _to_order_customer(
                ev, "order_confirmation", ev.order_id, {"amount": ev.amount.to_dict(), "provider": ev.provider}
            )
        return
    if ev.subscription_id or _cancelled_for_another_reason(ev.order_id):
        return
    _to_order_customer(
        ev,
        "payment_failed",
        ev.order_id,
        {"amount": ev.amount.to_dict(), "failure_code": ev.failure_code or "", "amendment": bool(ev.amendment_id)},
    )


def _cancelled_for_another_reason(order_id: int) -> bool:
    """The order was cancelled before its payment failed (it expired, the customer cancelled):
    the cancellation message tells the story, and the payment failing is its consequence."""
    order = OrderCopy.objects.filter(order_id=order_id).first()
    return bool(order and order.status == "cancelled" and order.cancellation_reason not in EXPLAINED_BY_PAYMENT_FAILED)


def payment_action_required(ev) -> None:
    action_url = ev.next_action_url or links.order_url(ev.order_id)
    _to_order_customer(ev, "payment_action_required", ev.order_id, {"action_url": action_url})


def order_status_changed(ev) -> None:
    """A cancellation (the only status subscribed to), unless payment_failed told it already."""
    if ev.cancellation_reason in EXPLAINED_BY_PAYMENT_FAILED:
        return
    _to_order_customer(ev, "order_cancelled", ev.order_id, {"reason": ev.cancellation_reason or ""})


def order_amended(ev) -> None:
    difference = ev.new_total.amount - ev.old_total.amount
    _to_order_customer(
        ev,
        "order_amended",
        ev.order_id,
        {
            "old_total": ev.old_total.to_dict(),
            "new_total": ev.new_total.to_dict(),
            "difference": {"amount": str(abs(difference)), "currency": ev.new_total.currency},
            "direction": "charge" if difference > Decimal(0) else "refund" if difference < Decimal(0) else "none",
        },
    )


def payment_refunded(ev) -> None:
    _to_order_customer(ev, "refund_issued", ev.order_id, {"amount": ev.amount.to_dict(), "reason": ev.reason})


# --- shipping and returns -------------------------------------------------------------


def shipment_update(ev, type_name: str, extra: dict | None = None) -> None:
    shipment = ShipmentCopy.objects.filter(shipment_id=ev.shipment_id).first()
    parcel = {
        "carrier": shipment.carrier if shipment else "",
        "tracking_number": shipment.tracking_number if shipment else "",
        "tracking_url": shipment.tracking_url if shipment else "",
    }
    _to_order_customer(ev, type_name, ev.order_id, {"shipment": parcel, **(extra or {})})


def return_initiated(ev) -> None:
    _to_order_customer(
        ev,
        "return_label",
        ev.order_id,
        {
            "return_id": ev.return_id,
            "label_url": links.public_url(ev.label_url),
            "carrier": ev.carrier,
            "tracking_number": ev.tracking_number,
            "returned_lines": [{"sku": line.sku, "quantity": line.quantity} for line in ev.lines],
        },
    )


def return_received(ev) -> None:
    _to_order_customer(
        ev,
        "return_received",
        ev.order_id,
        {"return_id": ev.return_id, "returned_lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in ev.lines]},
    )


# --- subscriptions ----------------------------------------------------------------------


def _subscription_context(subscription_id: int, **fields) -> dict:
    copy = SubscriptionCopy.objects.filter(subscription_id=subscription_id).first()
    known = {"plan_name": "", "sku": "", "quantity": 1}
    if copy is not None:
        known = {"plan_name": copy.plan_name, "sku": copy.sku, "quantity": copy.quantity}
    subscription = {"id": subscription_id, **known, **{k: v for k, v in fields.items() if v not in (None, "")}}
    return {"subscription": subscription, "subscription_url": links.subscription_url(subscription_id)}


def _to_subscriber(ev, type_name: str, extra: dict) -> None:
    email = getattr(ev, "customer_email", "")
    if not email:
        copy = SubscriptionCopy.objects.filter(subscription_id=ev.subscription_id).first()
        email = copy.email if copy else ""
    recipient = composing.customer(ev.customer_id, email=email)
    composing.queue(Source.of(ev), type_name, [recipient], extra)


def subscription_started(ev) -> None:
    payload = ev.payload()
    context = _subscription_context(
        ev.subscription_id,
        plan_name=ev.plan_name,
        sku=ev.sku,
        quantity=ev.quantity,
        interval=ev.interval,
        interval_count=ev.interval_count,
        renewal_price=payload["renewal_price"],
        next_billing_at=payload["next_billing_at"],
    )
    _to_subscriber(ev, "subscription_started", context)


def renewal_upcoming(ev) -> None:
    payload = ev.payload()
    context = _subscription_context(ev.subscription_id, plan_name=ev.plan_name, sku=ev.sku, quantity=ev.quantity)
    _to_subscriber(
        ev, "subscription_renewal_upcoming", {**context, "renews_at": payload["renews_at"], "amount": payload["amount"]}
    )


def renewal_failed(ev) -> None:
    payload = ev.payload()
    context = _subscription_context(ev.subscription_id)
    extra = {
        "reason": ev.reason,
        "failure_code": ev.failure_code or "",
        "next_retry_at": payload["next_retry_at"],
        "action_url": ev.action_url or context["subscription_url"],
    }
    _to_subscriber(ev, "subscription_renewal_failed", {**context, **extra})


def subscription_cancelled(ev) -> None:
    _to_subscriber(ev, "subscription_cancelled", {**_subscription_context(ev.subscription_id), "reason": ev.reason})


# --- account security -------------------------------------------------------------------


def contact_changed(ev) -> None:
    """A security notice when the email or phone changed: to the address on file now and,
    when the email itself changed, to the previous one too (where a hijack would show)."""
    security_fields = [f for f in ev.changed if f in ("email", "phone")]
    if not security_fields:
        return
    context = {"changed": security_fields, "phone_ending": ev.phone[-4:] if ev.phone else ""}
    recipients = [
        composing.Recipient(
            key=f"customer:{ev.customer_id}",
            email=ev.email,
            locale=ev.locale,
            customer_id=ev.customer_id,
            first_name=ev.first_name,
        )
    ]
    if ev.previous_email:
        recipients.append(
            composing.Recipient(
                key=f"customer:{ev.customer_id}/previous-email",
                email=ev.previous_email,
                locale=ev.locale,
                customer_id=ev.customer_id,
                first_name=ev.first_name,
            )
        )
    composing.queue(Source.of(ev), "contact_changed", recipients, context)


# --- account security -------------------------------------------------------------------


def _account_holder(ev, email: str, suffix: str = "") -> composing.Recipient:
    """The address the event names (the one on the account at that moment, or the new one
    being confirmed), not our contact copy, which may lag behind."""
    return composing.Recipient(
        key=f"customer:{ev.customer_id}{suffix}",
        email=email,
        locale=ev.locale or composing.default_locale(),
        customer_id=ev.customer_id,
        first_name=ev.first_name,
    )


def _minutes_left(ev) -> int:
    return max(1, round((ev.expires_at - ev.occurred_at).total_seconds() / 60))


def password_reset_requested(ev) -> None:
    """The reset link, kept sealed in the message row: rendering opens it (links.SEALED_LINKS)."""
    context = {"sealed_token": ev.sealed_token, "valid_minutes": _minutes_left(ev)}
    composing.queue(Source.of(ev), "password_reset", [_account_holder(ev, ev.email)], context)


def email_change_requested(ev) -> None:
    """The confirmation link goes to the new address only: following it proves the customer reads it."""
    context = {
        "sealed_token": ev.sealed_token,
        "valid_minutes": _minutes_left(ev),
        "new_email": ev.new_email,
    }
    recipient = _account_holder(ev, ev.new_email, "/new-email")
    composing.queue(Source.of(ev), "email_change_confirmation", [recipient], context)


def password_changed(ev) -> None:
    composing.queue(Source.of(ev), "password_changed", [_account_holder(ev, ev.email)], {"how": ev.how})
