"""The dummy provider's 3-D Secure page, so a payment that needs authentication can be
clicked through locally (`make run`): what Stripe's hosted page is for Stripe.

It lives outside /api/ because it is the provider's page, not our API: HTML for a person,
no login (the unguessable intent id is the capability, as in a provider's URL), no CSRF
token (the bank's page is not our site). After the choice it notifies payments at once,
as a provider's webhook would, and sends the browser to the return URL, which settles the
same intent again: the payment completes once whichever arrives first.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .gateways.dummy import TEST_CARDS, UNKNOWN_CARD
from .services import authentication

DECIDED = {"succeeded": "approved", "requires_capture": "approved", "requires_payment_method": "declined"}


def _hosts() -> set[str]:
    return {urlsplit(url).netloc for url in (settings.PUBLIC_BASE_URL, settings.STOREFRONT_URL) if url}


def return_url(candidate: str, intent_id: str) -> str:
    """The client's return URL if it points at the shop (never an open redirect), else ours;
    the intent id is appended as Stripe does (`payment_intent=`)."""
    base = reverse("payments-return")
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts=_hosts()):
        base = candidate
    return f"{base}{'&' if '?' in base else '?'}{urlencode({'payment_intent': intent_id})}"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def authenticate(request, intent_id: str):
    try:
        intent = authentication.dummy_intent(intent_id)
    except authentication.UnknownIntent:
        raise Http404("No such payment.") from None
    back = request.POST.get("return_url") or request.GET.get("return_url", "")
    decided = DECIDED.get(intent.status) if intent.status != "requires_action" else None
    if request.method == "POST" and decided is None:
        authentication.dummy_customer_decided(intent_id, approve=request.POST.get("result") == "approve")
        return HttpResponseRedirect(return_url(back, intent_id), status=303)
    context = {
        "intent_id": intent.intent_id,
        "amount": intent.amount,
        "currency": intent.currency,
        "last4": TEST_CARDS.get(intent.payment_method, UNKNOWN_CARD).last4,
        "decided": decided or (intent.status if intent.status != "requires_action" else None),
        "return_url": back if back and url_has_allowed_host_and_scheme(back, allowed_hosts=_hosts()) else "",
    }
    return render(request, "payments/dummy_authenticate.html", context)


urlpatterns = [
    path("authenticate/<str:intent_id>/", authenticate, name="dummy-provider-authenticate"),
]
