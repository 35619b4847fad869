"""The customer's invoices through the API: their own only (BOLA: another customer's order or
number is 404, no token 401), once paid, as the PDF stored when issued; guests by their
order's signed link."""

import pytest
from django.urls import resolve

from flowmart.contracts.orders import guest_order_token
from tests.billing.conftest import confirmed, deliver, paid_order, refunded

pytestmark = pytest.mark.django_db


def pdf_of(response) -> bytes:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def test_orders_invoice_path_is_billings():
    """orders' own patterns must not take /orders/{id}/invoice/ (billing's urls come after)."""
    assert resolve("/api/v1/orders/12/invoice/").url_name == "billing-order-invoice"
    assert resolve("/api/v1/orders/12/").url_name == "order"
    assert resolve("/api/v1/guest-orders/abc:def/invoice/").url_name == "billing-guest-invoice"


def test_the_customer_downloads_their_paid_orders_invoice(customer):
    paid_order(1, customer_id=customer.user.id)
    content = pdf_of(customer.get("/api/v1/orders/1/invoice/"))
    assert content.startswith(b"%PDF") and b"INV-" in content and b"FM-000001" in content


def test_another_customers_unpaid_or_unknown_order_is_404(customer, make_customer, api_client):
    other = make_customer()
    paid_order(1, customer_id=other.user.id)
    deliver(confirmed(2, customer_id=customer.user.id))  # not paid
    for path in ("/api/v1/orders/1/invoice/", "/api/v1/orders/2/invoice/", "/api/v1/orders/3/invoice/"):
        response = customer.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert customer.get("/api/v1/orders/x/invoice/").status_code == 404
    assert api_client.get("/api/v1/orders/1/invoice/").status_code == 401
    assert api_client.get("/api/v1/invoices/").json()["error"]["code"] == "not_authenticated"


def test_the_list_shows_own_invoices_and_credit_notes_with_pdf_links(customer, make_customer):
    paid_order(1, customer_id=customer.user.id)
    deliver(refunded(1, 10, "10.00"))
    paid_order(2, customer_id=make_customer().user.id)
    body = customer.get("/api/v1/invoices/").json()
    assert body["count"] == 2
    kinds = {d["kind"]: d for d in body["results"]}
    invoice, note = kinds["invoice"], kinds["credit_note"]
    assert invoice["total"] == {"amount": "49.25", "currency": "USD"} and invoice["credits"] is None
    assert note["credits"] == invoice["number"] and note["total"] == {"amount": "10.00", "currency": "USD"}
    assert [x["sku"] for x in invoice["lines"]] == ["MUG-1", "TEA-1", ""]
    assert pdf_of(customer.get(note["pdf_url"])).startswith(b"%PDF")
    other = make_customer()
    assert other.get(note["pdf_url"]).status_code == 404
    assert other.get("/api/v1/invoices/").json()["count"] == 0


def test_a_guest_fetches_the_invoice_by_the_orders_signed_link(api_client):
    paid_order(1, customer_id=None, email="guest@example.com")
    token = guest_order_token(1, "guest@example.com")
    assert pdf_of(api_client.get(f"/api/v1/guest-orders/{token}/invoice/")).startswith(b"%PDF")
    forged = guest_order_token(1, "someone@example.com")
    assert api_client.get(f"/api/v1/guest-orders/{forged}/invoice/").status_code == 404
    assert api_client.get("/api/v1/guest-orders/not-a-token/invoice/").status_code == 404
