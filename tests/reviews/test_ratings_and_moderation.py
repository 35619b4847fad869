"""The rating the catalogue shows (kept from ProductRatingChanged, never computed per request),
filtered and ordered by; moderation in the admin hides a review from the API and the averages;
review text is escaped wherever the admin renders it; the seller replies once."""

import pytest
from django.contrib.auth import get_user_model

from flowmart.catalog.models import ProductRating
from flowmart.common import roles
from flowmart.contracts.catalog import SellerStaffChanged
from flowmart.events.models import OutboxEvent
from flowmart.reviews.models import Review
from tests.catalog.factories import SellerFactory

pytestmark = pytest.mark.django_db
PRODUCTS = "/api/v1/products/"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """with committed(): a request whose transaction's after-commit work (event delivery) runs."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def reviewed(product, make_customer, order, committed):
    """review(product, rating, sku) → the review id, written through the API by a new verified buyer."""

    def _review(item, rating, title="Fine"):
        sku = item.variants.get().sku
        author = make_customer()
        order(author.user.id, {sku: 1})
        with committed():
            response = author.post(
                f"/api/v1/products/{item.id}/reviews/", {"rating": rating, "title": title}, format="json"
            )
        assert response.status_code == 201, response.json()
        return response.json()["id"]

    return _review


def rating_in_list(api_client, product_id, **params):
    rows = api_client.get(PRODUCTS, params).json()["results"]
    return next(row["rating"] for row in rows if row["id"] == product_id)


def test_list_and_detail_show_average_and_count(product, reviewed, api_client):
    kettle, toaster = product(sku="K-1"), product("Toaster", sku="T-1")
    assert rating_in_list(api_client, kettle.id) == {"average": None, "count": 0}

    reviewed(kettle, 5)
    reviewed(kettle, 4)
    reviewed(kettle, 4)

    assert rating_in_list(api_client, kettle.id) == {"average": 4.33, "count": 3}
    assert rating_in_list(api_client, toaster.id) == {"average": None, "count": 0}
    assert api_client.get(f"{PRODUCTS}{kettle.id}/").json()["rating"] == {"average": 4.33, "count": 3}
    published = [e.to_event() for e in OutboxEvent.objects.filter(name="ProductRatingChanged").order_by("id")]
    assert [(e.product_id, str(e.average), e.count, e.revision) for e in published] == [
        (kettle.id, "5.00", 1, 1), (kettle.id, "4.50", 2, 2), (kettle.id, "4.33", 3, 3),
    ]  # fmt: skip


def test_a_late_older_rating_event_changes_nothing(product, reviewed):
    from flowmart.catalog import ratings

    kettle = product(sku="K-1")
    reviewed(kettle, 5)
    reviewed(kettle, 1)
    ratings.record_rating(kettle.id, average=5, count=1, revision=1)  # redelivered after revision 2
    assert (ProductRating.objects.get(pk=kettle.id).average, ProductRating.objects.get(pk=kettle.id).count) == (3, 2)


def test_filter_min_rating_and_order_by_rating(product, reviewed, api_client):
    good, poor, okay, unrated = (product(name, sku=f"{name}-1") for name in ("Good", "Poor", "Okay", "Unrated"))
    reviewed(good, 5)
    reviewed(poor, 1)
    reviewed(okay, 3)

    def names(**params):
        response = api_client.get(PRODUCTS, params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert set(names(min_rating=3)) == {"Good", "Okay"}
    assert names(min_rating=3, ordering="-rating") == ["Good", "Okay"]
    assert names(ordering="-rating") == ["Good", "Okay", "Poor", "Unrated"]
    assert names(ordering="rating") == ["Poor", "Okay", "Good", "Unrated"]
    assert api_client.get(PRODUCTS, {"min_rating": 9}).status_code == 400
    assert unrated.name == "Unrated"


@pytest.fixture
def moderator(client):
    user = get_user_model().objects.create_superuser(email="mod@example.com", password="x")
    client.force_login(user)
    return client


def test_moderation_hides_with_a_reason_and_unhides(product, reviewed, moderator, api_client, committed):
    kettle = product(sku="K-1")
    keep, spam = reviewed(kettle, 5, "Great"), reviewed(kettle, 1, "Buy cheap watches")
    queue = moderator.get("/admin/reviews/review/?queue=waiting")
    assert queue.status_code == 200 and b"Buy cheap watches" in queue.content

    with committed():
        hidden = moderator.post(f"/admin/reviews/review/{spam}/change/", {"decision": "hide", "reason": "spam"})

    assert hidden.status_code == 302
    review = Review.objects.get(pk=spam)
    assert (review.status, review.hidden_reason, review.moderated_by) == ("hidden", "spam", "mod@example.com")
    listed = api_client.get(f"/api/v1/products/{kettle.id}/reviews/").json()
    assert [r["id"] for r in listed["results"]] == [keep]
    assert api_client.get(f"/api/v1/reviews/{spam}/").status_code == 404
    assert rating_in_list(api_client, kettle.id) == {"average": 5.0, "count": 1}
    moderator.get("/admin/reviews/review/")  # shows (and uses up) the "was changed" message
    queue = moderator.get("/admin/reviews/review/?queue=waiting").content.decode()
    assert f"/admin/reviews/review/{spam}/change/" not in queue and f"/admin/reviews/review/{keep}/change/" in queue

    with committed():
        moderator.post(f"/admin/reviews/review/{spam}/change/", {"decision": "unhide"})

    assert Review.objects.get(pk=spam).status == "visible" and Review.objects.get(pk=spam).hidden_reason == "spam"
    assert rating_in_list(api_client, kettle.id) == {"average": 3.0, "count": 2}


def test_hiding_without_a_reason_is_refused(product, reviewed, moderator):
    spam = reviewed(product(sku="K-1"), 1)
    response = moderator.post(f"/admin/reviews/review/{spam}/change/", {"decision": "hide", "reason": " "})
    assert response.status_code == 200 and b"Say why the review is hidden" in response.content
    assert Review.objects.get(pk=spam).status == "visible"


def test_the_admin_shows_review_text_escaped(product, make_customer, order, moderator):
    kettle = product(sku="K-1")
    author = make_customer()
    order(author.user.id, {"K-1": 1})
    evil = {"rating": 1, "title": "<img src=x onerror=alert(1)>", "text": "<script>alert('x')</script>"}
    review_id = author.post(f"/api/v1/products/{kettle.id}/reviews/", evil, format="json").json()["id"]

    for page in (f"/admin/reviews/review/{review_id}/change/", "/admin/reviews/review/"):
        html = moderator.get(page).content.decode()
        assert "<script>alert(" not in html and "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
        in moderator.get(f"/admin/reviews/review/{review_id}/change/").content.decode()
    )


@pytest.fixture
def seller_staff(make_staff, emit):
    """seller_staff(seller) → an APIClient (and admin login) of that seller's staff."""

    def _staff(seller):
        staff = make_staff(role=roles.SELLER_STAFF)
        emit(SellerStaffChanged(user_id=staff.user.id, seller_ids=(seller.id,)))
        return staff

    return _staff


def test_the_seller_replies_once(product, reviewed, seller_staff, api_client):
    acme = SellerFactory(slug="acme")
    kettle = product(sku="K-1", seller=acme)
    review_id = reviewed(kettle, 2)
    staff = seller_staff(acme)

    first = staff.post(f"/api/v1/reviews/{review_id}/reply/", {"text": "Sorry, <b>we</b> will fix it"}, format="json")
    second = staff.post(f"/api/v1/reviews/{review_id}/reply/", {"text": "Again"}, format="json")

    assert first.status_code == 201 and first.json()["reply"]["text"] == "Sorry, <b>we</b> will fix it"
    assert second.status_code == 409
    shown = api_client.get(f"/api/v1/products/{kettle.id}/reviews/").json()["results"][0]["reply"]
    assert shown["text"] == "Sorry, <b>we</b> will fix it"


def test_other_sellers_and_customers_cannot_reply(product, reviewed, seller_staff, make_customer):
    acme, other = SellerFactory(slug="acme"), SellerFactory(slug="other")
    review_id = reviewed(product(sku="K-1", seller=acme), 2)

    assert (
        seller_staff(other).post(f"/api/v1/reviews/{review_id}/reply/", {"text": "x"}, format="json").status_code == 404
    )
    assert make_customer().post(f"/api/v1/reviews/{review_id}/reply/", {"text": "x"}, format="json").status_code == 403
    assert Review.objects.get(pk=review_id).replied_at is None


def test_seller_staff_see_and_answer_only_their_own_in_the_admin(product, reviewed, seller_staff, client):
    acme, other = SellerFactory(slug="acme"), SellerFactory(slug="other")
    mine, theirs = reviewed(product(sku="K-1", seller=acme), 2, "Mine"), reviewed(product(sku="T-1", seller=other), 3)
    staff = seller_staff(acme)
    client.force_login(staff.user)

    assert client.get(f"/admin/reviews/review/{theirs}/change/").status_code == 404
    listing = client.get("/admin/reviews/review/").content.decode()
    assert (
        f"/admin/reviews/review/{mine}/change/" in listing and f"/admin/reviews/review/{theirs}/change/" not in listing
    )
    client.post(f"/admin/reviews/review/{mine}/change/", {"reply": "Thanks", "decision": "hide", "reason": "x"})

    review = Review.objects.get(pk=mine)
    assert (review.reply_text, review.status) == ("Thanks", "visible")  # seller staff reply, never moderate
    page = client.get(f"/admin/reviews/review/{mine}/change/").content.decode()
    assert "Thanks" in page and 'name="reply"' not in page  # once
