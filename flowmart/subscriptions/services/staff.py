"""What operations do to a subscription from the back office (pause, resume, cancel): the
same lifecycle commands as the customer's API, each with a StaffAction row saying who, when
and why, written in the command's transaction (no action without its record, nor a record
of an action that was refused)."""

from django.db import transaction

from flowmart.common.errors import InvalidRequest

from ..models import StaffAction, Subscription
from . import lifecycle

K = StaffAction.Kind
COMMANDS = {
    K.PAUSE: lambda pk: lifecycle.pause(None, pk),
    K.RESUME: lambda pk: lifecycle.resume(None, pk),
    K.CANCEL: lambda pk: lifecycle.cancel(None, pk, "operations", by_operations=True),
}


@transaction.atomic
def act(subscription_id: int, kind: str, *, staff: str, reason: str) -> Subscription:
    """Run the command as operations (cancel: reason `operations`, minimum cycles waived)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Say why.", fields={"reason": ["This field is required."]})
    sub = COMMANDS[K(kind)](subscription_id)
    StaffAction.objects.create(subscription=sub, kind=kind, staff=staff, reason=reason)
    return sub
