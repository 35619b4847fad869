"""Absolute links in messages. Two bases, both environment variables:
PUBLIC_BASE_URL (this server: unsubscribe pages, return labels, the admin) and
STOREFRONT_URL (the shop's web front end: orders, products, account pages)."""

from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse

from flowmart.common import sealing

UNSUBSCRIBE_SALT = "flowmart.notifications.unsubscribe"


def public_url(path: str) -> str:
    """An absolute URL on this server; URLs that are absolute already are kept."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.PUBLIC_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def storefront_url(path: str) -> str:
    return settings.STOREFRONT_URL.rstrip("/") + "/" + path.lstrip("/")


def order_url(order_id) -> str:
    return storefront_url(f"/account/orders/{order_id}/")


def product_url(slug: str) -> str:
    return storefront_url(f"/products/{quote(slug)}/")


def subscription_url(subscription_id) -> str:
    return storefront_url(f"/account/subscriptions/{subscription_id}/")


def preferences_url() -> str:
    return storefront_url("/account/notifications/")


def password_reset_url(token: str) -> str:
    """The storefront page that asks for the new password and POSTs it with the token to
    /api/v1/auth/password-reset/confirm/."""
    return storefront_url(f"/account/password-reset/?token={quote(token)}")


def email_confirm_url(token: str) -> str:
    """The storefront page that POSTs the token to /api/v1/me/email/confirm/."""
    return storefront_url(f"/account/email/confirm/?token={quote(token)}")


# Message types whose context carries a sealed token (flowmart.common.sealing): the link is made
# only while rendering, so neither the outbox nor the message row ever holds a usable one.
SEALED_LINKS = {
    "password_reset": ("password_reset", password_reset_url),
    "email_change_confirmation": ("email_change", email_confirm_url),
}


def unsealed_action_url(message_type: str, context: dict) -> str:
    purpose, url = SEALED_LINKS[message_type]
    return url(sealing.unseal(context["sealed_token"], purpose=purpose))


def admin_url(path: str) -> str:
    return public_url(f"/admin/{path.lstrip('/')}")


def unsubscribe_token(customer_id: int, category: str) -> str:
    """Signed with SECRET_KEY, so it cannot be forged for another customer; it never
    expires, as RFC 8058 one-click links in old mail must keep working."""
    return signing.dumps({"c": customer_id, "k": category}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["c"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(customer_id: int, category: str) -> str:
    token = unsubscribe_token(customer_id, category)
    return public_url(reverse("notifications-unsubscribe", kwargs={"token": token}))
