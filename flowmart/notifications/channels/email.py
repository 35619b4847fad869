"""Email through Django's email framework: SMTP, or an email service provider through
django-anymail, chosen by environment variables (settings.py § Email). Text and HTML parts;
optional messages carry RFC 8058 one-click unsubscribe headers."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid

from .base import Content, Outcome, PermanentFailure

CONSOLE = "django.core.mail.backends.console.EmailBackend"
DUMMY = "django.core.mail.backends.dummy.EmailBackend"


class EmailChannel:
    name = "email"

    def unavailable_reason(self) -> str | None:
        if settings.EMAIL_BACKEND == DUMMY:
            return "EMAIL_BACKEND is the dummy backend, which discards mail"
        return None

    def send(self, message, content: Content) -> Outcome:
        domain = settings.NOTIFICATIONS["EMAIL_MESSAGE_ID_DOMAIN"]
        message_id = make_msgid(idstring=f"m{message.pk}", domain=domain)
        mail = EmailMultiAlternatives(
            subject=content.subject,
            body=content.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id, **content.headers},
            connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        )
        mail.attach_alternative(content.html, "text/html")
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"recipient refused: {_codes(exc.recipients)}") from None
        except Exception as exc:
            if type(exc).__name__ == "AnymailRecipientsRefused":
                raise PermanentFailure("recipient refused by the email provider") from None
            raise
        anymail = getattr(mail, "anymail_status", None)
        provider_id = getattr(anymail, "message_id", None) if anymail is not None else None
        if settings.EMAIL_BACKEND == CONSOLE:
            return Outcome(
                provider_message_id=message_id,
                suppressed_reason="EMAIL_BACKEND is the console backend: printed to the server output, not delivered",
            )
        return Outcome(provider_message_id=str(provider_id or message_id))


def _codes(recipients: dict) -> str:
    """SMTP codes per refused recipient, without the addresses (they are personal data)."""
    return ", ".join(f"{code} {reply.decode(errors='replace')[:80]}" for code, reply in recipients.values())
