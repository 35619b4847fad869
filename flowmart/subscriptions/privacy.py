"""The subscriptions side of privacy (docs/privacy.md): the customer's subscriptions and
renewals in the export; on erasure every subscription still running is cancelled (reason
"customer_erased", UserSubscriptionCancelled so payments and orders stop renewing it), the
email and address are anonymised (plan, quantity, dates and renewals stay), and this
context's copy of the address book is deleted."""

from django.db import transaction
from django.utils import timezone

from flowmart.common import privacy

from .models import CustomerAddress, IdempotencyKey, Subscription
from .services.lifecycle import cancel_locked

ERASED = "customer_erased"


def export_customer(customer_id: int, email: str) -> dict:
    subscriptions = (
        Subscription.objects.filter(customer_id=customer_id).select_related("plan").prefetch_related("renewals")
    )
    return {
        "subscriptions": [
            {
                "id": sub.id,
                "plan": sub.plan.name,
                "quantity": sub.quantity,
                "status": sub.status,
                "email": sub.customer_email,
                "shipping_address": sub.shipping_address,
                "shipping_method": sub.shipping_method,
                "created_at": sub.created_at.isoformat(),
                "cancelled_at": sub.cancelled_at.isoformat() if sub.cancelled_at else None,
                "next_billing_at": sub.next_billing_at.isoformat() if sub.status != "cancelled" else None,
                "renewals": [
                    {"cycle": r.cycle, "due_at": r.due_at.isoformat(), "status": r.status, "order_id": r.order_id}
                    for r in sub.renewals.all()
                ],
            }
            for sub in subscriptions.order_by("id")
        ]
    }


@transaction.atomic
def erase_customer(customer_id: int) -> None:
    """CustomerErased: cancel what still runs, then take the person out of every subscription."""
    now = timezone.now()
    for sub in Subscription.objects.select_for_update().filter(customer_id=customer_id).order_by("pk"):
        sub.customer_email = privacy.erased_email(customer_id)
        sub.shipping_address = privacy.anonymise_address(sub.shipping_address)
        if sub.status != Subscription.Status.CANCELLED:
            cancel_locked(sub, ERASED, now)  # saves the anonymised row and tells the others
        else:
            sub.save(update_fields=["customer_email", "shipping_address", "updated_at"])
    CustomerAddress.objects.filter(customer_id=customer_id).delete()
    IdempotencyKey.objects.filter(customer_id=customer_id).delete()
