"""Sealing a secret for the trip through the outbox (flowmart.events) to another context.

Event payloads are persisted (the outbox is the audit trail) and subscribers may store what
they receive (notifications keeps each message's template data). A secret such as a password
reset token must not sit readable in either place, so its publisher seals it (Fernet:
AES-128-CBC + HMAC-SHA256, authenticated) and only the code that has to put it into an email
opens it, at the moment it renders the email. Whoever reads the tables gets ciphertext.

The key is SEALING_KEY (any string; a Fernet key is derived from it), by default derived from
SECRET_KEY, which every web and worker process shares already. Rotating it makes sealed
values of messages not yet sent unreadable: those links must then be asked for again.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class Unreadable(ValueError):
    """The value was not sealed with this key (or was altered)."""


def _fernet(purpose: str) -> Fernet:
    secret = settings.SEALING_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(f"flowmart.sealing:{purpose}:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(value: str, *, purpose: str) -> str:
    """Encrypt value for `purpose` (a key per purpose: a sealed value opens for that one only)."""
    return _fernet(purpose).encrypt(value.encode()).decode()


def unseal(sealed: str, *, purpose: str) -> str:
    try:
        return _fernet(purpose).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        raise Unreadable(purpose) from None
