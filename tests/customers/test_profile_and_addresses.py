"""Profile and address book: a customer sees and changes only their own."""

import pytest

from flowmart.customers.models import Address
from flowmart.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
ADDRESSES = "/api/v1/me/addresses/"
HOME = {
    "name": "Ana Lima",
    "line1": "Rua Augusta 100",
    "line2": "",
    "city": "Lisbon",
    "postal_code": "1100-053",
    "country": "pt",
    "phone": "+351 21 000 0000",
}


def test_profile_shows_the_callers_account(customer):
    response = customer.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "email", "first_name", "last_name", "phone", "locale", "date_joined"}
    assert (body["phone"], body["locale"]) == ("", "en")
    assert body["id"] == customer.user.id
    assert body["email"] == customer.user.email


def test_profile_patch_changes_names_but_not_the_login(customer):
    response = customer.patch(ME, {"first_name": "Ana", "last_name": "Lima", "email": "x@example.com"}, format="json")

    assert response.status_code == 200
    customer.user.refresh_from_db()
    assert (customer.user.first_name, customer.user.last_name) == ("Ana", "Lima")
    assert customer.user.email != "x@example.com"
    assert customer.put(ME, {"first_name": "X"}, format="json").status_code == 405


def test_contact_changes_publish_what_notifications_needs(customer):
    response = customer.patch(ME, {"phone": "+44 20 7946 0958", "locale": "de"}, format="json")

    assert response.status_code == 200
    [event] = [row.to_event() for row in OutboxEvent.objects.filter(name="CustomerContactChanged")]
    assert (event.customer_id, event.email) == (customer.user.id, customer.user.email)
    assert (event.phone, event.locale, set(event.changed)) == ("+442079460958", "de", {"phone", "locale"})
    customer.patch(ME, {"phone": "+442079460958", "last_name": "Lima"}, format="json")  # nothing reachable changed
    assert OutboxEvent.objects.filter(name="CustomerContactChanged").count() == 1


@pytest.mark.parametrize("phone", ["0207 946 0958", "+0441234567", "+1 555", "phone"])
def test_a_phone_number_must_be_international(customer, phone):
    response = customer.patch(ME, {"phone": phone}, format="json")

    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"]


def test_profile_needs_authentication(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_add_and_list_addresses(customer):
    created = customer.post(ADDRESSES, HOME, format="json")

    assert created.status_code == 201
    body = created.json()
    assert body["country"] == "PT"
    assert set(body) == {"id", "name", "line1", "line2", "city", "postal_code", "country", "phone", "region"}
    assert body["region"] == ""  # optional: only where tax differs within the country (docs/tax.md)
    listing = customer.get(ADDRESSES).json()
    assert listing["count"] == 1
    assert listing["results"][0]["id"] == body["id"]


def test_address_changes_are_published(customer):
    address_id = customer.post(ADDRESSES, HOME, format="json").json()["id"]
    customer.patch(f"{ADDRESSES}{address_id}/", {"city": "Porto"}, format="json")
    customer.delete(f"{ADDRESSES}{address_id}/")

    events = [row.to_event() for row in OutboxEvent.objects.filter(name__startswith="CustomerAddress")]
    assert [e.name for e in events] == ["CustomerAddressSaved", "CustomerAddressSaved", "CustomerAddressDeleted"]
    assert {e.address_id for e in events} == {address_id}
    assert {e.customer_id for e in events} == {customer.user.id}
    assert events[0].address.country == "PT"
    assert events[1].address.city == "Porto"


def test_a_region_is_kept_normalised_and_published(customer):
    us = {**HOME, "country": "US", "city": "San Francisco", "postal_code": "94103"}
    created = customer.post(ADDRESSES, {**us, "region": "us-ca"}, format="json")

    assert created.status_code == 201 and created.json()["region"] == "CA"
    saved = OutboxEvent.objects.filter(name="CustomerAddressSaved").last().to_event()
    assert saved.address.region == "CA"
    bad = customer.post(ADDRESSES, {**us, "region": "C@"}, format="json")
    assert bad.status_code == 400 and "region" in bad.json()["error"]["fields"]


@pytest.mark.parametrize("country", ["XX", "USA", "", "12"])
def test_country_must_be_an_iso_alpha2_code(customer, country):
    response = customer.post(ADDRESSES, {**HOME, "country": country}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "country" in response.json()["error"]["fields"]
    assert not Address.objects.exists()


def test_required_address_fields(customer):
    response = customer.post(ADDRESSES, {"country": "US"}, format="json")

    assert response.status_code == 400
    assert {"name", "line1", "city", "postal_code"} <= set(response.json()["error"]["fields"])


def test_get_patch_delete_own_address(customer):
    address_id = customer.post(ADDRESSES, HOME, format="json").json()["id"]
    url = f"{ADDRESSES}{address_id}/"

    assert customer.get(url).json()["city"] == "Lisbon"
    patched = customer.patch(url, {"city": "Porto", "country": "es"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["city"], patched.json()["country"]) == ("Porto", "ES")
    assert customer.patch(url, {"country": "ZZ"}, format="json").status_code == 400
    assert customer.delete(url).status_code == 204
    assert customer.get(url).status_code == 404


def test_another_customers_address_is_not_found(make_customer):
    owner, stranger = make_customer(), make_customer()
    address_id = owner.post(ADDRESSES, HOME, format="json").json()["id"]
    url = f"{ADDRESSES}{address_id}/"

    for response in (
        stranger.get(url),
        stranger.patch(url, {"city": "Elsewhere"}, format="json"),
        stranger.delete(url),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert stranger.get(ADDRESSES).json()["count"] == 0
    assert Address.objects.get(pk=address_id).city == "Lisbon"


def test_addresses_need_authentication(api_client):
    assert api_client.get(ADDRESSES).status_code == 401
    assert api_client.post(ADDRESSES, HOME, format="json").status_code == 401
