"""Turning "tell this customer (seller, operations) about X" into Message rows.

Runs inside the event handler's transaction: the rows commit with the handler's inbox
row or not at all. Who gets what on which channel is decided here, from the message
catalogue, the customer's preferences and the contact details we hold. Sending happens
after commit (services.sending), never in this transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from flowmart.common import privacy

from .. import selectors
from ..catalogue import EMAIL, OPERATIONS, PUSH, SELLER, SMS, message_type
from ..models import Message, Preference, SellerContact
from . import preferences

logger = logging.getLogger("flowmart.notifications")


@dataclass
class Source:
    """What a message comes from: an event (its id is the key) or a digest period."""

    key: str
    event_name: str = ""
    correlation_id: str = ""

    @classmethod
    def of(cls, event) -> Source:
        return cls(key=str(event.event_id), event_name=event.name, correlation_id=event.correlation_id)


@dataclass
class Recipient:
    key: str
    email: str = ""
    phone: str = ""
    locale: str = "en"
    customer_id: int | None = None
    seller_id: int | None = None
    first_name: str = ""
    # Read with the contact (selectors.reach_of) by customer(); else read when a row needs them.
    reach: selectors.Reach | None = None


def customer(customer_id: int | None, *, email: str = "", reach: selectors.Reach | None = None) -> Recipient | None:
    """The customer as our contact copy knows them; `email` (from the event) if we know nothing
    better; None for nobody to write to (no address at all, or an erased customer). `reach`:
    read already with what the caller read (selectors.order_and_reach), else read here."""
    if customer_id is None and not email:
        return None
    if reach is None and customer_id is not None:
        reach = selectors.reach_of(customer_id)
    contact = reach.contact if reach is not None else None
    if privacy.is_erased_email(email) or (contact is not None and privacy.is_erased_email(contact.email)):
        return None  # an erased customer (docs/privacy.md) is written to no more, on any channel
    key = f"customer:{customer_id}" if customer_id is not None else f"email:{email.lower()}"
    if contact is None:
        return Recipient(key=key, email=email, customer_id=customer_id, locale=default_locale(), reach=reach)
    return Recipient(
        key=key,
        email=contact.email or email,
        phone=contact.phone,
        locale=contact.locale or default_locale(),
        customer_id=customer_id,
        first_name=contact.first_name,
        reach=reach,
    )


def seller(seller_id: int) -> Recipient:
    contact = SellerContact.objects.filter(seller_id=seller_id).first()
    return Recipient(
        key=f"seller:{seller_id}",
        email=contact.contact_email if contact else "",
        seller_id=seller_id,
        locale=default_locale(),
    )


def operations() -> list[Recipient]:
    """Operations staff from NOTIFICATIONS_OPS_EMAILS; one recipient standing for "nobody" when empty."""
    emails = settings.NOTIFICATIONS["OPS_EMAILS"]
    if not emails:
        return [Recipient(key="ops:", locale=settings.NOTIFICATIONS["OPS_LOCALE"])]
    return [Recipient(key=f"ops:{e.lower()}", email=e, locale=settings.NOTIFICATIONS["OPS_LOCALE"]) for e in emails]


def default_locale() -> str:
    return settings.LANGUAGES[0][0]


def queue(source: Source, type_name: str, recipients: list[Recipient], context: dict) -> list[int]:
    """Write the messages of one kind for these recipients, on every channel they should get
    it on; duplicates of rows that exist already are skipped by the unique constraint.
    Returns the ids of the pending rows and asks for them to be sent after commit."""
    kind = message_type(type_name)
    rows = []
    for recipient in recipients:
        if recipient is None:
            continue
        rows += _rows_for(source, kind, recipient, context)
    # One row per key (one statement may not touch a row twice), the first one as before.
    unique: dict[tuple[str, str], Message] = {}
    for row in rows:
        unique.setdefault((row.recipient_key, row.channel), row)
    rows = list(unique.values())
    if not rows:
        return []
    # One INSERT … ON CONFLICT DO UPDATE … RETURNING id: a row that exists already (a replayed
    # event) is left as it is (event_name is the same event's) but its id comes back too, so
    # its nudge is repeated; the claim (services.sending) sends only what is still pending.
    Message.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["source_key", "recipient_key", "channel", "message_type"],
        update_fields=["event_name"],
    )
    ids = [row.pk for row in rows if row.status == Message.Status.PENDING]
    if ids:
        from .sending import send_after_commit

        send_after_commit(ids)
    return ids


def _rows_for(source: Source, kind, recipient: Recipient, context: dict) -> list[Message]:
    due = timezone.now() + timedelta(seconds=settings.NOTIFICATIONS["SWEEP_GRACE_SECONDS"])

    def row(channel: str, to: str, *, key_suffix: str = "", suppressed: str = "", subscription=None) -> Message:
        return Message(
            source_key=source.key,
            event_name=source.event_name,
            correlation_id=source.correlation_id,
            recipient_key=recipient.key + key_suffix,
            channel=channel,
            message_type=kind.name,
            category=kind.category,
            audience=kind.audience,
            customer_id=recipient.customer_id,
            seller_id=recipient.seller_id,
            to=to,
            push_subscription=subscription,
            locale=recipient.locale,
            context={**context, "first_name": recipient.first_name},
            next_attempt_at=due,
            status=Message.Status.SUPPRESSED if suppressed else Message.Status.PENDING,
            suppressed_reason=suppressed,
        )

    if kind.audience in (SELLER, OPERATIONS):
        missing = "" if recipient.email else _no_staff_address(kind.audience)
        return [row(EMAIL, recipient.email, suppressed=missing)]

    reach = recipient.reach
    if reach is not None:
        wanted = preferences.channels_for(recipient.customer_id, kind, reach.preference or Preference())
    else:
        wanted = preferences.channels_for(recipient.customer_id, kind)
    rows = []
    if EMAIL in wanted:
        rows.append(row(EMAIL, recipient.email, suppressed="" if recipient.email else "no email address is known"))
    if SMS in wanted:
        rows.append(row(SMS, recipient.phone, suppressed="" if recipient.phone else "no phone number on the profile"))
    if PUSH in wanted and recipient.customer_id is not None:
        subscriptions = reach.push if reach is not None else selectors.push_subscriptions_of(recipient.customer_id)
        for sub in subscriptions:
            rows.append(row(PUSH, sub.endpoint, key_suffix=f"/push:{sub.pk}", subscription=sub))
    return rows


def _no_staff_address(audience: str) -> str:
    if audience == OPERATIONS:
        return "NOTIFICATIONS_OPS_EMAILS is empty: no operations recipient is configured"
    return "the seller has no contact email in the catalogue"
