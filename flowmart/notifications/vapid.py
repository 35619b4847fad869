"""VAPID keys for Web Push (py-vapid, pywebpush's own key library).

WEBPUSH_VAPID_PRIVATE_KEY holds the private key as base64url (the raw 32-byte form, as
`python manage.py vapid_keys` prints it); browsers subscribe with the public key."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid, b64urlencode


def generate() -> tuple[str, str]:
    """A new key pair: (private, public), both base64url."""
    vapid = Vapid()
    vapid.generate_keys()
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return b64urlencode(private), _public(vapid)


@functools.cache
def public_key(private_key: str) -> str:
    """The public key (uncompressed point, base64url) of a private key; "" without one."""
    if not private_key:
        return ""
    return _public(Vapid.from_string(private_key=private_key))


def _public(vapid: Vapid) -> str:
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(point)
