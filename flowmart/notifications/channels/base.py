"""The one protocol every channel speaks, and the outcomes a send can have."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from flowmart.notifications.models import Message


@dataclass(frozen=True)
class Content:
    """A message rendered for its recipient's locale: every channel takes what it needs."""

    subject: str
    text: str
    html: str
    sms: str
    push_title: str
    push_body: str
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """A provider accepted the message (its id), or the channel deliberately did not deliver it."""

    provider_message_id: str = ""
    suppressed_reason: str = ""


class PermanentFailure(Exception):
    """The provider refused this message for good (bad address, subscription gone): no retry."""


@runtime_checkable
class Channel(Protocol):
    name: str

    def unavailable_reason(self) -> str | None:
        """Why this channel cannot send at all (no credentials configured), or None."""

    def send(self, message: Message, content: Content) -> Outcome:
        """Hand the message to the provider. Raises PermanentFailure, or anything else for a
        failure worth retrying (network, provider 5xx, rate limit)."""
