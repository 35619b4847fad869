"""Absolute links in messages. Two bases, both environment variables:
PUBLIC_BASE_URL (this server: unsubscribe pages, return labels, the admin) and
STOREFRONT_URL (the shop's web front end: orders, products, account pages)."""

from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse

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
