"""Channels by name; each speaks the Channel protocol (base.py)."""

from .base import Channel, Content, Outcome, PermanentFailure
from .email import EmailChannel
from .push import PushChannel, endpoint_allowed
from .sms import SmsChannel

CHANNELS: dict[str, Channel] = {c.name: c for c in (EmailChannel(), SmsChannel(), PushChannel())}


def get_channel(name: str) -> Channel:
    return CHANNELS[name]


__all__ = ["CHANNELS", "Channel", "Content", "Outcome", "PermanentFailure", "endpoint_allowed", "get_channel"]
