"""The fraud review page shows the score and each rule that fired, and records the reviewer's
reason with who and when."""

import pytest

from flowmart.payments.models import Payment

from .helpers import payment, reserved, send
from .test_fraud import risky


@pytest.mark.django_db(transaction=True)
def test_review_page_shows_the_rules_and_keeps_the_reason(admin_client):
    send(risky(640), reserved(640))
    held = payment(640)
    listing = admin_client.get("/admin/payments/paymentunderreview/").content.decode()
    assessment = held.assessments.get()
    assert f">{assessment.score}<" in listing and assessment.reasons[0] in listing
    page = admin_client.get(f"/admin/payments/paymentunderreview/{held.pk}/review/").content.decode()
    for rule in assessment.reasons:
        assert rule in page
    response = admin_client.post(
        f"/admin/payments/paymentunderreview/{held.pk}/review/", {"decision": "approve", "reason": "known customer"}
    )
    assert response.status_code == 302
    assert payment(640).status == Payment.Status.SUCCEEDED
    decided = held.assessments.get()
    assert (decided.review_decision, decided.decision_reason) == ("approved", "known customer")
    assert decided.decided_by not in ("", "rules") and decided.decided_at  # who and when


@pytest.mark.django_db(transaction=True)
def test_seller_staff_cannot_review(client, make_staff):
    from flowmart.common import roles

    send(risky(641), reserved(641))
    client.force_login(make_staff(roles.SELLER_STAFF, email="s@x.test").user)
    assert client.get(f"/admin/payments/paymentunderreview/{payment(641).pk}/review/").status_code == 403
