"""Reviews under simultaneous requests: real threads, each on its own PostgreSQL connection."""

import pytest
from rest_framework.test import APIClient

from flowmart.catalog.models import ProductRating
from flowmart.reviews.models import Review
from tests.support.threads import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def in_parallel(calls) -> list[int]:
    """Run each call at once, each on its own connection; their status codes, sorted."""
    results: list[int] = []
    errors = run_at_once(*[lambda call=call: results.append(call().status_code) for call in calls])
    assert not errors, errors
    return sorted(results)


def client_of(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_one_review_per_product_when_a_customer_posts_four_at_once(product, buyer, order):
    kettle = product(sku="K-1")
    order(buyer.user.id, {"K-1": 1})
    url = f"/api/v1/products/{kettle.id}/reviews/"
    post = lambda: client_of(buyer.token).post(url, {"rating": 5, "title": "Hi"}, format="json")  # noqa: E731

    assert in_parallel([post] * 4) == [201, 409, 409, 409]
    assert Review.objects.count() == 1


def test_simultaneous_reviews_all_count_in_the_rating(product, make_customer, order):
    kettle = product(sku="K-1")
    authors = [make_customer() for _ in range(4)]
    for author in authors:
        order(author.user.id, {"K-1": 1})
    url = f"/api/v1/products/{kettle.id}/reviews/"

    def poster(author, rating):
        return lambda: client_of(author.token).post(url, {"rating": rating, "title": "t"}, format="json")

    assert in_parallel([poster(a, r) for a, r in zip(authors, (1, 2, 4, 5), strict=True)]) == [201] * 4
    rating = ProductRating.objects.get(pk=kettle.id)
    assert (str(rating.average), rating.count, rating.revision) == ("3.00", 4, 4)
