"""Deploy checks: links in mail must be absolute https URLs in production (RFC 8058)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def unsubscribe_links_are_https(app_configs, **kwargs):
    if not settings.PUBLIC_BASE_URL.startswith("https://"):
        return [
            Warning(
                "PUBLIC_BASE_URL is not an https URL: one-click unsubscribe links (RFC 8058) must be https.",
                id="notifications.W001",
            )
        ]
    return []
