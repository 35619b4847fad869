"""One-click unsubscribe (RFC 8058), without logging in: the signed token is the key.

GET shows what the link does and a button (link scanners and previews fetch links: a GET
must never unsubscribe); POST unsubscribes, whether from that button or from the mail
client's own one-click POST (body `List-Unsubscribe=One-Click`)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .. import links
from ..catalogue import CATEGORIES, OPTIONAL_CATEGORIES
from ..services import preferences


@csrf_exempt  # mail clients post without a CSRF token; the signed token is what authorises
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str) -> HttpResponse:
    found = links.read_unsubscribe_token(token)
    if found is None or found[1] not in OPTIONAL_CATEGORIES:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    customer_id, category = found
    context = {"category": CATEGORIES[category].label, "preferences_url": links.preferences_url()}
    if request.method == "POST":
        preferences.unsubscribe(customer_id, category)
        return render(request, "notifications/unsubscribe.html", {**context, "done": True})
    return render(request, "notifications/unsubscribe.html", context)
