"""Writes of account recovery and credentials: password reset by email, password change,
email change with confirmation. Each runs in one transaction with the event it publishes.

Tokens mailed to the customer are single-use and expire (PASSWORD_RESET_TTL,
EMAIL_CHANGE_TTL); the database keeps only their hash and the event only the sealed token
(flowmart.common.sealing), which notifications opens when it renders the email. Changing or
resetting the password revokes every API token of the account and voids its open reset links.
"""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from flowmart.common import sealing
from flowmart.common.errors import Conflict, InvalidRequest
from flowmart.common.throttling import account_attempt, hit, rate_for
from flowmart.contracts.customers import EmailChangeRequested, PasswordChanged, PasswordResetRequested
from flowmart.events import publish

from .models import AccountToken, ApiToken, User, hash_token
from .services import EMAIL_TAKEN, update_profile

INVALID_LINK = "This link is invalid, was used already or has expired. Ask for a new one."
Purpose = AccountToken.Purpose


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active account. The caller answers the
    same whatever happens here, so nobody learns which addresses have accounts; an account
    asked for too often (THROTTLE_PASSWORD_RESET_EMAIL_RATE) gets no further mail for a while."""
    email = (email or "").strip().lower()
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None or not _within_mail_limit(email):
        return
    with transaction.atomic():
        token, raw = AccountToken.issue(user, Purpose.PASSWORD_RESET, settings.PASSWORD_RESET_TTL)
        publish(
            PasswordResetRequested(
                customer_id=user.id,
                email=user.email,
                locale=user.locale,
                first_name=user.first_name,
                sealed_token=sealing.seal(raw, purpose=Purpose.PASSWORD_RESET),
                expires_at=token.expires_at,
            )
        )


def _within_mail_limit(email: str) -> bool:
    rate = rate_for("password_reset_email")
    return rate is None or hit("password_reset_email", f"account:{email}", rate).allowed


def confirm_password_reset(*, token: str, password: str) -> User:
    """Set the new password with a reset token: the token is spent, whatever else was open is void."""
    with transaction.atomic():
        stored = _claim(token, Purpose.PASSWORD_RESET)
        _check_password_strength(password, stored.user, field="password")
        return _set_password(stored.user, password, how="reset")


def change_password(user: User, *, current_password: str, new_password: str) -> str:
    """Change the password with the current one; all tokens are revoked and a new one returned."""
    _check_current_password(user, current_password, field="current_password")
    _check_password_strength(new_password, user, field="new_password")
    with transaction.atomic():
        _set_password(user, new_password, how="changed")
        _, raw = ApiToken.issue(user)
    return raw


def request_email_change(user: User, *, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address; nothing changes until it is followed."""
    new_email = new_email.strip().lower()
    _check_current_password(user, password, field="password")
    if new_email == user.email:
        raise InvalidRequest(fields={"new_email": ["This is your current email address."]})
    if User.objects.filter(email=new_email).exists():
        raise InvalidRequest(fields={"new_email": [EMAIL_TAKEN]})
    with transaction.atomic():
        token, raw = AccountToken.issue(user, Purpose.EMAIL_CHANGE, settings.EMAIL_CHANGE_TTL, new_email=new_email)
        publish(
            EmailChangeRequested(
                customer_id=user.id,
                new_email=new_email,
                current_email=user.email,
                locale=user.locale,
                first_name=user.first_name,
                sealed_token=sealing.seal(raw, purpose=Purpose.EMAIL_CHANGE),
                expires_at=token.expires_at,
            )
        )


def confirm_email_change(*, token: str) -> User:
    """Move the account to the confirmed address. update_profile publishes CustomerContactChanged
    with the previous email, so the old address is told (notifications' security notice)."""
    try:
        with transaction.atomic():
            stored = _claim(token, Purpose.EMAIL_CHANGE)
            if User.objects.filter(email=stored.new_email).exclude(pk=stored.user_id).exists():
                raise IntegrityError
            # Links mailed to the old address (resets, other changes) stop working with it.
            AccountToken.objects.filter(user=stored.user, used_at__isnull=True).update(used_at=timezone.now())
            return update_profile(stored.user, email=stored.new_email)
    except IntegrityError:
        raise Conflict("Another account uses this email address now.", fields={"new_email": [EMAIL_TAKEN]}) from None


def _claim(raw: str, purpose: str) -> AccountToken:
    """Spend a mailed token: locked, unused, unexpired, of an active account, or the same 400."""
    stored = (
        AccountToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=hash_token(raw or ""), purpose=purpose)
        .first()
    )
    now = timezone.now()
    if stored is None or stored.used_at is not None or stored.expires_at <= now or not stored.user.is_active:
        raise InvalidRequest(INVALID_LINK, fields={"token": [INVALID_LINK]})
    stored.used_at = now
    stored.save(update_fields=["used_at"])
    return stored


def _check_current_password(user: User, password: str, *, field: str) -> None:
    """A wrong current password counts as a failed login of the account (THROTTLE_LOGIN_ACCOUNT_RATE):
    a stolen token must not become a way to guess the password."""
    with account_attempt(user.email):
        if not user.check_password(password):
            raise InvalidRequest("The current password is wrong.", fields={field: ["The current password is wrong."]})


def _check_password_strength(password: str, user: User, *, field: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidRequest("The password is too weak.", fields={field: list(exc.messages)}) from None


def _set_password(user: User, password: str, *, how: str) -> User:
    """New password; every API token revoked and every open reset link voided; PasswordChanged."""
    now = timezone.now()
    user.set_password(password)
    user.save(update_fields=["password"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    AccountToken.objects.filter(user=user, purpose=Purpose.PASSWORD_RESET, used_at__isnull=True).update(used_at=now)
    publish(
        PasswordChanged(customer_id=user.id, email=user.email, locale=user.locale, first_name=user.first_name, how=how)
    )
    return user
