"""Provider list endpoint and the operations admin pages/actions."""

import pytest

from flowmart.payments.models import Payment

from .helpers import cancelled, initiated, payment, published, refund_requested, reserved, send

pytestmark = pytest.mark.django_db(transaction=True)


def test_providers_lists_only_configured_ones(api_client, settings):
    settings.STRIPE_SECRET_KEY = ""
    assert api_client.get("/api/v1/payments/providers/").json() == {"providers": ["dummy"]}
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert api_client.get("/api/v1/payments/providers/").json() == {"providers": ["dummy", "stripe"]}


def test_unknown_provider_is_refused():
    send(initiated(901, provider="paypal"), reserved(901))
    assert [(e["status"], e["failure_code"]) for e in published("PaymentProcessed", 901)] == [
        ("failed", "processing_error")
    ]


@pytest.mark.parametrize(
    "page",
    [
        "payment",
        "paymentunderreview",
        "refund",
        "fraudassessment",
        "stripewebhookevent",
        "ledgerentry",
        "dispute",
        "dummyintent",
    ],
)
def test_admin_pages_render(admin_client, page):
    send(initiated(902), reserved(902), refund_requested(902, "r", "1.00"))
    assert admin_client.get(f"/admin/payments/{page}/").status_code == 200
    assert admin_client.get(f"/admin/payments/{page}/add/").status_code == 403  # read-only books


def test_admin_payment_detail_and_simulated_authentication(admin_client):
    send(initiated(903, "pm_card_authenticationRequired"), reserved(903))
    p = payment(903)
    assert admin_client.get(f"/admin/payments/payment/{p.pk}/change/").status_code == 200
    admin_client.post(
        "/admin/payments/payment/",
        {"action": "simulate_customer_authentication", "_selected_action": [p.pk]},
        follow=True,
    )
    assert payment(903).status == Payment.Status.SUCCEEDED
    send(cancelled(903))
    assert payment(903).status == Payment.Status.REFUNDED
