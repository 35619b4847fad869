"""Verified-purchase reviews through the public API: who may write one (a delivered order line
of the product, learnt from orders' events), once per product, edited by its author only."""

import pytest

from flowmart.reviews.models import Review
from tests.support.shop_events import claimed, confirmed, status

pytestmark = pytest.mark.django_db

BODY = {"rating": 4, "title": "Boils fast", "text": "Quiet too."}


def reviews_url(product):
    return f"/api/v1/products/{product.id}/reviews/"


def test_a_customer_reviews_a_product_after_delivery(product, buyer, order, api_client):
    kettle = product(sku="KETTLE-1")
    order(buyer.user.id, {"KETTLE-1": 1})

    response = buyer.post(reviews_url(kettle), BODY, format="json")

    assert response.status_code == 201, response.json()
    assert response.json() | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0, "product_id": kettle.id, "rating": 4, "title": "Boils fast", "text": "Quiet too.",
        "verified_purchase": True, "hidden": False, "reply": None, "created_at": "", "updated_at": "",
    }  # fmt: skip
    listed = api_client.get(reviews_url(kettle)).json()
    assert listed["count"] == 1 and listed["results"][0]["title"] == "Boils fast"


@pytest.mark.parametrize("upto", ["pending", "paid", "shipped"])
def test_not_before_delivery(product, buyer, order, upto):
    kettle = product(sku="KETTLE-1")
    order(buyer.user.id, {"KETTLE-1": 1}, upto=upto)

    response = buyer.post(reviews_url(kettle), BODY, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "purchase_not_verified"
    assert not Review.objects.exists()


def test_not_for_another_product_or_another_customers_delivery(product, buyer, make_customer, order):
    kettle, toaster = product(sku="KETTLE-1"), product("Toaster", sku="TOAST-1")
    order(buyer.user.id, {"KETTLE-1": 1})
    stranger = make_customer()

    assert buyer.post(reviews_url(toaster), BODY, format="json").status_code == 403
    assert stranger.post(reviews_url(kettle), BODY, format="json").status_code == 403


def test_anonymous_may_read_but_not_write(product, api_client):
    kettle = product(sku="KETTLE-1")
    assert api_client.get(reviews_url(kettle)).status_code == 200
    assert api_client.post(reviews_url(kettle), BODY, format="json").status_code == 401


def test_a_claimed_guest_order_counts_for_its_new_owner(product, buyer, emit):
    kettle = product(sku="KETTLE-1")
    emit(confirmed(7001, None, {"KETTLE-1": 1}))
    emit(claimed(7001, buyer.user.id))
    emit(status(7001, buyer.user.id, "delivered", "shipped"))

    assert buyer.post(reviews_url(kettle), BODY, format="json").status_code == 201


def test_delivery_heard_before_the_order_still_verifies(product, buyer, emit):
    """Events arrive in any order: the projection fills in whatever each one knows."""
    kettle = product(sku="KETTLE-1")
    emit(status(7002, buyer.user.id, "delivered", "shipped"))
    assert buyer.post(reviews_url(kettle), BODY, format="json").status_code == 403
    emit(confirmed(7002, buyer.user.id, {"KETTLE-1": 2}))
    assert buyer.post(reviews_url(kettle), BODY, format="json").status_code == 201


def test_once_per_product(product, buyer, order):
    kettle = product(sku="KETTLE-1")
    order(buyer.user.id, {"KETTLE-1": 1})
    order(buyer.user.id, {"KETTLE-1": 1})  # bought twice: still one review
    assert buyer.post(reviews_url(kettle), BODY, format="json").status_code == 201

    again = buyer.post(reviews_url(kettle), BODY, format="json")

    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert Review.objects.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [({**BODY, "rating": 0}, "rating"), ({**BODY, "rating": 6}, "rating"), ({"rating": 3}, "title")],
)
def test_bad_input_is_a_400_naming_the_field(product, buyer, order, body, field):
    kettle = product(sku="KETTLE-1")
    order(buyer.user.id, {"KETTLE-1": 1})

    response = buyer.post(reviews_url(kettle), body, format="json")

    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not Review.objects.exists()


def test_unknown_product_is_a_404(buyer):
    assert buyer.post("/api/v1/products/987654/reviews/", BODY, format="json").status_code == 404


def test_the_author_edits_their_review(product, buyer, order):
    kettle = product(sku="KETTLE-1")
    order(buyer.user.id, {"KETTLE-1": 1})
    review_id = buyer.post(reviews_url(kettle), BODY, format="json").json()["id"]

    response = buyer.patch(f"/api/v1/reviews/{review_id}/", {"rating": 2, "text": "Leaks now."}, format="json")

    assert response.status_code == 200
    assert (response.json()["rating"], response.json()["title"], response.json()["text"]) == (
        2,
        "Boils fast",
        "Leaks now.",
    )
    assert Review.objects.get().needs_moderation  # an edit goes back to the moderators


def test_another_customers_review_is_a_404_to_edit(product, buyer, make_customer, order, api_client):
    """BOLA: the id of someone else's review gives nothing away and changes nothing."""
    kettle = product(sku="KETTLE-1")
    order(buyer.user.id, {"KETTLE-1": 1})
    review_id = buyer.post(reviews_url(kettle), BODY, format="json").json()["id"]

    response = make_customer().patch(f"/api/v1/reviews/{review_id}/", {"rating": 1}, format="json")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api_client.patch(f"/api/v1/reviews/{review_id}/", {"rating": 1}, format="json").status_code == 401
    assert Review.objects.get().rating == 4


def test_text_is_returned_verbatim_as_json(product, buyer, order):
    kettle = product(sku="KETTLE-1")
    order(buyer.user.id, {"KETTLE-1": 1})
    evil = {"rating": 1, "title": "<b>bold</b>", "text": "<script>alert('x')</script> & more"}

    created = buyer.post(reviews_url(kettle), evil, format="json")

    assert created.status_code == 201
    assert created["Content-Type"].startswith("application/json")
    assert (created.json()["title"], created.json()["text"]) == (evil["title"], evil["text"])
    assert Review.objects.get().text == evil["text"]  # stored as typed, escaped where rendered


def test_reporting_puts_a_review_back_in_the_queue(product, buyer, make_customer, order):
    kettle = product(sku="KETTLE-1")
    order(buyer.user.id, {"KETTLE-1": 1})
    review_id = buyer.post(reviews_url(kettle), BODY, format="json").json()["id"]
    Review.objects.update(needs_moderation=False)

    response = make_customer().post(f"/api/v1/reviews/{review_id}/report/", {"reason": "spam"}, format="json")

    assert response.status_code == 202
    review = Review.objects.get()
    assert (review.needs_moderation, review.reports, review.last_report_reason) == (True, 1, "spam")
