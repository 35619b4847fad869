"""Web Push through pywebpush, signed with our VAPID key. A push service answering 404 or
410 means the browser dropped the subscription: we deactivate it and never retry."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from pywebpush import WebPushException, webpush

from .base import Content, Outcome, PermanentFailure


def endpoint_allowed(endpoint: str) -> bool:
    """Only push services we trust: a subscription's endpoint is a URL this server will POST
    to, so an arbitrary one would let a customer aim our requests at internal hosts."""
    cfg = settings.WEBPUSH
    parts = urlsplit(endpoint)
    if parts.scheme != "https" and not (parts.scheme == "http" and not cfg["REQUIRE_HTTPS"]):
        return False
    host = (parts.hostname or "").lower()
    return any(
        host == allowed or (allowed.startswith(".") and host.endswith(allowed)) for allowed in cfg["ALLOWED_HOSTS"]
    )


class PushChannel:
    name = "push"

    def unavailable_reason(self) -> str | None:
        cfg = settings.WEBPUSH
        if not (cfg["VAPID_PRIVATE_KEY"] and cfg["VAPID_SUBJECT"]):
            return "Web Push is not configured (WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_SUBJECT)"
        return None

    def send(self, message, content: Content) -> Outcome:
        sub = message.push_subscription
        if sub is None or not sub.active:
            raise PermanentFailure("the push subscription was removed")
        if not endpoint_allowed(sub.endpoint):
            raise PermanentFailure("the push endpoint's host is not in WEBPUSH_ALLOWED_HOSTS")
        cfg = settings.WEBPUSH
        payload = json.dumps(
            {"title": content.push_title, "body": content.push_body, "url": content.url, "tag": str(message.pk)}
        )
        try:
            response = webpush(
                subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                data=payload,
                vapid_private_key=cfg["VAPID_PRIVATE_KEY"],
                vapid_claims={"sub": cfg["VAPID_SUBJECT"]},  # a fresh dict: pywebpush adds aud and exp to it
                timeout=cfg["TIMEOUT_SECONDS"],
                ttl=cfg["TTL_SECONDS"],
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                type(sub).objects.filter(pk=sub.pk).update(active=False, gone_at=timezone.now())
                raise PermanentFailure(f"push service answered {status}: the subscription is gone") from None
            if status is not None and status < 500 and status != 429:
                raise PermanentFailure(f"push service answered {status}") from None
            raise RuntimeError(f"push service answered {status or 'nothing'}") from None
        return Outcome(provider_message_id=response.headers.get("Location", "") if response is not None else "")
