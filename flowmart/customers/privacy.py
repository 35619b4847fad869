"""The customers side of privacy (docs/privacy.md): export, erasure with confirmation,
retention of closed accounts, and the record of staff looking at personal data.

Erasure is two calls of `DELETE /api/v1/me/`: the first, with the current password, answers
202 with a confirmation token (single use, ERASURE_CONFIRMATION_TTL, only its hash stored);
the second, with that token, erases. The account row stays as an anonymised shell (its id is
what orders, invoices and ledgers point at); CustomerErased tells every other context to
remove its own copies.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowmart.common import privacy
from flowmart.common.errors import ApiError, Conflict
from flowmart.contracts.customers import CustomerErased
from flowmart.events import publish
from flowmart.events.redaction import redact_customer

from .models import AccountToken, Address, ApiToken, StaffAccessRecord, User, hash_token
from .recovery import _check_current_password

Purpose = AccountToken.Purpose


class InvalidConfirmation(ApiError):
    default_code = "invalid_confirmation"
    default_detail = "This confirmation is invalid, was used already or has expired. Ask for a new one."


def confirmation_ttl() -> timedelta:
    return timedelta(minutes=settings.PRIVACY_ERASURE_CONFIRMATION_MINUTES)


# --- export ---------------------------------------------------------------------------------


def export_customer(customer_id: int, email: str) -> dict:
    """This context's part of the export: the profile and the address book (no password hash,
    no token: those are credentials, not data about the customer)."""
    user = User.objects.filter(pk=customer_id).first()
    if user is None:
        return {}
    return {
        "profile": {
            "id": user.id,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "locale": user.locale,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "addresses": [
            {field: getattr(a, field) for field in ("id", "name", "line1", "line2", "city", "postal_code", "country")}
            | {"phone": a.phone, "created_at": a.created_at.isoformat()}
            for a in Address.objects.filter(customer_id=customer_id)
        ],
    }


def full_export(user: User) -> dict:
    """What `GET /api/v1/me/export/` answers: every registered context's part."""
    return {
        "customer_id": user.id,
        "exported_at": timezone.now().isoformat(),
        "contexts": privacy.export_customer(user.id, user.email),
    }


# --- erasure --------------------------------------------------------------------------------


def request_erasure(user: User, *, password: str) -> tuple[AccountToken, str]:
    """Step one: the current password (a stolen API token alone cannot erase an account), then
    a confirmation token for step two. Refused with 409 while another context says it must wait."""
    _check_current_password(user, password, field="password")
    _refuse_if_blocked(user.id)
    with transaction.atomic():
        AccountToken.objects.filter(user=user, purpose=Purpose.ERASURE, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        return AccountToken.issue(user, Purpose.ERASURE, confirmation_ttl())


def confirm_erasure(user: User, *, confirmation: str) -> User:
    """Step two: spend the confirmation token and erase, in one transaction."""
    with transaction.atomic():
        stored = (
            AccountToken.objects.select_for_update()
            .filter(user=user, purpose=Purpose.ERASURE, token_hash=hash_token(confirmation or ""))
            .first()
        )
        if stored is None or stored.used_at is not None or stored.expires_at <= timezone.now():
            raise InvalidConfirmation(fields={"confirmation": [InvalidConfirmation.default_detail]})
        stored.used_at = timezone.now()
        stored.save(update_fields=["used_at"])
        return erase(user, reason="request")


def _refuse_if_blocked(customer_id: int) -> None:
    blockers = privacy.erasure_blockers(customer_id)
    if blockers:
        raise Conflict(
            "Your data cannot be erased while an order is still in progress: try again once it has "
            "been delivered or cancelled.",
            code="erasure_blocked",
            blockers=blockers,
        )


def erase(user: User, *, reason: str) -> User:
    """Anonymise the account and publish CustomerErased, all or nothing. The row keeps its id,
    dates and flags; email, names, phone, password, addresses and tokens go."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.erased_at is not None:
            return user
        _refuse_if_blocked(user.id)
        now = timezone.now()
        hashed = privacy.email_hash(user.email)
        user.email = privacy.erased_email(user.id)
        user.first_name = user.last_name = user.phone = ""
        user.set_unusable_password()
        user.is_active = user.is_staff = user.is_superuser = False
        user.closed_at = user.closed_at or now
        user.erased_at = now
        user.save()
        user.groups.clear()
        Address.objects.filter(customer=user).delete()
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        AccountToken.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        AccountToken.objects.filter(user=user).update(new_email="")
        redact_customer(user.id)  # the outbox's copies of the customer's events
        publish(CustomerErased(customer_id=user.id, email_hash=hashed, reason=reason))
    return user


def erase_closed_accounts(now=None) -> int:
    """Retention: accounts closed longer than PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS are erased
    (one transaction each; one still blocked by an order in flight waits for the next run)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS)
    due = User.objects.filter(is_active=False, erased_at__isnull=True, closed_at__lte=cutoff, is_staff=False)
    erased = 0
    for user in due.order_by("pk").iterator():
        try:
            erase(user, reason="retention")
        except Conflict:
            continue
        erased += 1
    return erased


# --- staff access ---------------------------------------------------------------------------


def record_access(*, staff, customer_id: int | None, context: str, what: str, object_ref: str = "") -> None:
    """The recorder registered with flowmart.common.privacy (written in its own transaction:
    a page view has no other write to join)."""
    with transaction.atomic():
        StaffAccessRecord.objects.create(
            staff_id=getattr(staff, "pk", None),
            staff_email=getattr(staff, "email", "") or str(staff),
            customer_id=customer_id,
            context=context,
            what=what[:100],
            object_ref=str(object_ref)[:200],
        )
