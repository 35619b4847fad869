"""Sending: claim a message, call the provider with no transaction open, record the outcome.

- send_after_commit(): the fast nudge from the handler's transaction (a Celery task).
- send(): one message. The claim (pending → sending) commits before the provider is called,
  so two workers, a redelivered task or a replay can never both send it.
- A failure is retried with exponential backoff kept in the database (next_attempt_at);
  the beat sweep re-queues what is due. After the last try the message is `failed`.
- A claim whose outcome never came back (the worker died mid-send) is not retried
  blindly: the provider may have sent it. The sweep marks it failed for ops to resend.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from flowmart.common.correlation import correlation

from ..channels import PermanentFailure, get_channel
from ..models import Message
from ..rendering import render

logger = logging.getLogger("flowmart.notifications")
S = Message.Status
BATCH = 50


def send_after_commit(ids: list[int]) -> None:
    transaction.on_commit(lambda: enqueue(ids))


def enqueue(ids: list[int]) -> None:
    """Hand messages to Celery. Never raises: the sweep resends what the broker lost."""
    from ..tasks import send_messages

    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        try:
            send_messages.apply_async(args=[chunk])
        except Exception as exc:
            logger.warning("could not enqueue %d messages (%s); the sweep will resend", len(chunk), type(exc).__name__)


def send_many(ids: list[int]) -> dict[int, str]:
    return {pk: send(pk) for pk in ids}


def send(message_id: int) -> str:
    """Send one pending message; returns its new status ("skipped" if someone else has it)."""
    message = _claim(message_id)
    if message is None:
        return "skipped"
    with correlation(message.correlation_id or f"message-{message.pk}", f"message-{message.pk}"):
        channel = get_channel(message.channel)
        reason = channel.unavailable_reason() or ("" if message.to else "no address to send to")
        if reason:
            return _record(message, S.SUPPRESSED, suppressed_reason=reason)
        try:
            content = render(message)
            outcome = channel.send(message, content)
        except PermanentFailure as exc:
            return _record(message, S.FAILED, subject=_subject(message), error=str(exc)[:2000])
        except Exception as exc:
            return _retry_later(message, exc)
        status = S.SUPPRESSED if outcome.suppressed_reason else S.SENT
        return _record(
            message,
            status,
            subject=content.subject,
            provider_message_id=outcome.provider_message_id[:255],
            suppressed_reason=outcome.suppressed_reason,
            sent_at=timezone.now() if status == S.SENT else None,
        )


def _claim(message_id: int) -> Message | None:
    """pending → sending, committed durably before the provider is called; the claimed row
    (None: not pending, someone else has it). One UPDATE … RETURNING, PostgreSQL and SQLite
    alike, so the row is not read again (a push message's subscription is read when sent)."""
    qn = connection.ops.quote_name
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # workers commit asynchronously; a claim must not be lost
                cursor.execute("SET LOCAL synchronous_commit TO ON")
        claimed = Message.objects.raw(
            f"UPDATE {qn(Message._meta.db_table)} SET status = %s, attempts = attempts + 1, claimed_at = %s "
            "WHERE id = %s AND status = %s RETURNING *",
            [S.SENDING, connection.ops.adapt_datetimefield_value(timezone.now()), message_id, S.PENDING],
        )
        return next(iter(claimed), None)


def _record(message: Message, status: str, **fields) -> str:
    fields = {k: v for k, v in fields.items() if v is not None}
    Message.objects.filter(pk=message.pk).update(status=status, **fields)
    if status == S.SENT:
        logger.info("message %s (%s by %s) sent", message.pk, message.message_type, message.channel)
    elif status == S.SUPPRESSED:
        logger.info(
            "message %s (%s by %s) suppressed: %s",
            message.pk,
            message.message_type,
            message.channel,
            fields.get("suppressed_reason", ""),
        )
    else:
        logger.warning("message %s (%s by %s) failed for good", message.pk, message.message_type, message.channel)
    return status


def _retry_later(message: Message, exc: Exception) -> str:
    cfg = settings.NOTIFICATIONS
    error = f"{type(exc).__name__}: {exc}"[:2000]
    attempts = message.attempts  # already counted by the claim
    if attempts >= cfg["MAX_ATTEMPTS"]:
        return _record(message, S.FAILED, error=f"after {attempts} attempts: {error}")
    Message.objects.filter(pk=message.pk).update(
        status=S.PENDING, error=error, next_attempt_at=timezone.now() + backoff(attempts)
    )
    # The exception's text can carry provider URLs or addresses: the log gets its type only.
    logger.warning(
        "message %s (%s by %s) attempt %d failed (%s); retrying later",
        message.pk,
        message.message_type,
        message.channel,
        attempts,
        type(exc).__name__,
    )
    return S.PENDING


def _subject(message: Message) -> str | None:
    try:
        return render(message).subject
    except Exception:
        return None


def backoff(attempts: int) -> timedelta:
    """Exponential with a cap and ±10 % jitter."""
    cfg = settings.NOTIFICATIONS
    seconds = min(cfg["BACKOFF_CAP_SECONDS"], cfg["BACKOFF_BASE_SECONDS"] * 2 ** (attempts - 1))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def sweep(limit: int = 500) -> dict[str, int]:
    """Beat job: re-queue pending messages that are due; fail claims whose outcome never came.
    Safe to run twice at once (SKIP LOCKED, and the claim guards the send itself)."""
    cfg = settings.NOTIFICATIONS
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=S.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if due:
            grace = timedelta(seconds=cfg["SWEEP_GRACE_SECONDS"])
            Message.objects.filter(pk__in=due).update(next_attempt_at=now + grace)
            send_after_commit(due)
        lost = Message.objects.filter(
            status=S.SENDING, claimed_at__lt=now - timedelta(seconds=cfg["SEND_LEASE_SECONDS"])
        ).update(
            status=S.FAILED,
            error="No outcome was recorded after the send was claimed (the worker stopped mid-send?). "
            "The provider may have delivered it, so it is not retried automatically; resend it from the admin.",
        )
    if lost:
        logger.error("%d messages lost their worker mid-send and were marked failed", lost)
    return {"requeued": len(due), "lost": lost}


def resend(messages, requested_by: str, key: str | None = None) -> list[int]:
    """Operations resends: a new message row for each (the original keeps its own story).
    With `key` (the id of the request's event) a request resends each message once however
    often its event is delivered: the copy's source_key names it, and message_once holds."""
    created = []
    with transaction.atomic():
        for original in messages.select_for_update():
            if original.status in (S.PENDING, S.SENDING):
                continue
            source_key = f"resend:{original.pk}:{key or original.resends.count() + 1}"
            if key and Message.objects.filter(source_key=source_key).exists():
                continue
            copy = Message.objects.create(
                source_key=source_key,
                event_name=original.event_name,
                correlation_id=original.correlation_id,
                recipient_key=original.recipient_key,
                channel=original.channel,
                message_type=original.message_type,
                category=original.category,
                audience=original.audience,
                customer_id=original.customer_id,
                seller_id=original.seller_id,
                to=original.to,
                push_subscription=original.push_subscription,
                locale=original.locale,
                context=original.context,
                resend_of=original,
                requested_by=requested_by,
            )
            created.append(copy.pk)
        if created:
            send_after_commit(created)
    return created
