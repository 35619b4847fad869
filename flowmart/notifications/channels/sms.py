"""SMS through Twilio's official SDK. TWILIO_API_BASE (tests only) points the SDK at another
host through its own extension point, a custom HttpClient."""

from __future__ import annotations

from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .base import Content, Outcome, PermanentFailure

TWILIO_HOST = "https://api.twilio.com"


class RebasedHttpClient(TwilioHttpClient):
    """Sends the SDK's requests for api.twilio.com to `base` instead (a local fake in tests)."""

    def __init__(self, base: str, **kwargs):
        super().__init__(**kwargs)
        self.base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if self.base and url.startswith(TWILIO_HOST):
            url = self.base + url[len(TWILIO_HOST) :]
        return super().request(method, url, *args, **kwargs)


class SmsChannel:
    name = "sms"

    def unavailable_reason(self) -> str | None:
        cfg = settings.TWILIO
        if not (cfg["ACCOUNT_SID"] and cfg["AUTH_TOKEN"]):
            return "Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)"
        if not (cfg["FROM_NUMBER"] or cfg["MESSAGING_SERVICE_SID"]):
            return "Twilio has no sender (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID)"
        return None

    def client(self) -> Client:
        cfg = settings.TWILIO
        http = RebasedHttpClient(cfg["API_BASE"], timeout=cfg["TIMEOUT_SECONDS"], pool_connections=False)
        return Client(cfg["ACCOUNT_SID"], cfg["AUTH_TOKEN"], http_client=http)

    def send(self, message, content: Content) -> Outcome:
        cfg = settings.TWILIO
        sender = {"messaging_service_sid": cfg["MESSAGING_SERVICE_SID"]} if cfg["MESSAGING_SERVICE_SID"] else {}
        if not sender:
            sender = {"from_": cfg["FROM_NUMBER"]}
        try:
            sent = self.client().messages.create(to=message.to, body=content.sms, **sender)
        except TwilioRestException as exc:
            detail = f"Twilio {exc.status} (code {exc.code}): {exc.msg}"
            if exc.status == 429 or exc.status >= 500:
                raise RuntimeError(detail) from None
            raise PermanentFailure(detail) from None
        return Outcome(provider_message_id=sent.sid or "")
