"""The notifications side of privacy (docs/privacy.md). The export lists every message sent
to the customer (what, how, to where, when), their preferences, their push subscriptions
(browser and dates: the endpoint and its keys are credentials of the browser, not data about
the person) and back-in-stock requests. The erasure keeps that a message of a type went out
when (the delivery history), and removes its recipient, subject and template data, the
preferences, push subscriptions and back-in-stock requests; the contact copy keeps only the
erased placeholder, so no later event can write to the old address again."""

from django.db import transaction
from django.utils import timezone

from flowmart.common import privacy

from .models import (
    BackInStockRequest,
    CustomerContact,
    Message,
    OrderCopy,
    Preference,
    PushSubscription,
    SubscriptionCopy,
)

UNSENT = (Message.Status.PENDING, Message.Status.SENDING)


def export_customer(customer_id: int, email: str) -> dict:
    preference = Preference.objects.filter(customer_id=customer_id).first()
    return {
        "messages": [
            {
                "type": m.message_type,
                "channel": m.channel,
                "to": m.to if m.channel != Message.Channel.PUSH else "(your browser)",
                "subject": m.subject,
                "status": m.status,
                "created_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in Message.objects.filter(customer_id=customer_id).order_by("id")
        ],
        "preferences": (
            {"email": preference.email, "sms": preference.sms, "push": preference.push, **preference.categories}
            if preference
            else None
        ),
        "push_subscriptions": [
            {"user_agent": p.user_agent, "active": p.active, "created_at": p.created_at.isoformat()}
            for p in PushSubscription.objects.filter(customer_id=customer_id).order_by("id")
        ],
        "back_in_stock_requests": [
            {"sku": r.sku, "status": r.status, "created_at": r.created_at.isoformat()}
            for r in BackInStockRequest.objects.filter(customer_id=customer_id).order_by("id")
        ],
    }


@transaction.atomic
def erase_customer(customer_id: int) -> None:
    """CustomerErased: take the person out of every copy this context keeps."""
    now = timezone.now()
    placeholder = privacy.erased_email(customer_id)
    messages = Message.objects.filter(customer_id=customer_id)
    messages.filter(status__in=UNSENT).update(
        status=Message.Status.SUPPRESSED, suppressed_reason="the customer's data was erased"
    )
    messages.update(to="", subject="", context={}, push_subscription=None)
    PushSubscription.objects.filter(customer_id=customer_id).delete()
    Preference.objects.filter(customer_id=customer_id).delete()
    BackInStockRequest.objects.filter(customer_id=customer_id).delete()
    CustomerContact.objects.update_or_create(
        customer_id=customer_id, defaults={"email": placeholder, "phone": "", "first_name": "", "as_of": now}
    )
    OrderCopy.objects.filter(customer_id=customer_id).update(email=placeholder, shipping_address={})
    SubscriptionCopy.objects.filter(customer_id=customer_id).update(email=placeholder)
