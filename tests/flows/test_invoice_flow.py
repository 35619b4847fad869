"""Invoices end to end through the API on the embedded path: checkout → paid → the invoice
(the customer's own only); an amendment's refund → a credit note on the removed line; the
cancellation's refund → a credit note for the rest, so the documents net to zero."""

from decimal import Decimal

import pytest

from .conftest import checkout, order, register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def amount(money: dict) -> Decimal:
    return Decimal(money["amount"])


def documents(client) -> dict[str, list[dict]]:
    body = client.get("/api/v1/invoices/").json()
    found = {"invoice": [], "credit_note": []}
    for document in sorted(body["results"], key=lambda d: d["number"]):
        found[document["kind"]].append(document)
    return found


def test_paid_amended_and_cancelled_order_is_invoiced_and_credited(shop):
    buyer, stranger = register(), register()
    placed = checkout(buyer, {"FLOW-RED": 2, "FLOW-BLUE": 1})
    assert placed["status"] == "paid"
    order_id = placed["order_id"]
    paid = order(buyer, order_id)

    pdf = buyer.get(f"/api/v1/orders/{order_id}/invoice/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content)
    assert content.startswith(b"%PDF") and b"Flow Seller" in content and paid["number"].encode() in content
    assert stranger.get(f"/api/v1/orders/{order_id}/invoice/").status_code == 404

    [invoice] = documents(buyer)["invoice"]
    assert invoice["number"].encode() in content and invoice["order_number"] == paid["number"]
    assert amount(invoice["total"]) == amount(paid["totals"]["total"])
    assert sum(amount(x["total"]) for x in invoice["lines"]) == amount(invoice["total"])
    assert {x["sku"]: x["quantity"] for x in invoice["lines"] if x["sku"]} == {"FLOW-RED": 2, "FLOW-BLUE": 1}

    amended = buyer.post(f"/api/v1/orders/{order_id}/amend/", {"lines": [{"sku": "FLOW-RED", "quantity": 2}]})
    assert amended.status_code == 200, amended.content
    [first] = documents(buyer)["credit_note"]
    assert first["credits"] == invoice["number"] and first["reason"] == "order_amended"
    assert [(x["sku"], x["quantity"]) for x in first["lines"]] == [("FLOW-BLUE", 1)]
    assert amount(first["total"]) == amount(paid["totals"]["total"]) - amount(amended.json()["totals"]["total"])

    assert buyer.post(f"/api/v1/orders/{order_id}/cancel/").status_code == 200
    notes = documents(buyer)["credit_note"]
    assert len(notes) == 2 and notes[1]["reason"] == "order_cancelled"
    assert sum(amount(n["total"]) for n in notes) == amount(invoice["total"])  # everything credited
    assert len(documents(buyer)["invoice"]) == 1  # the invoice itself never changed
    assert stranger.get("/api/v1/invoices/").json()["count"] == 0


def test_an_amendment_raising_a_paid_orders_total_gets_a_supplementary_invoice(shop):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1})
    order_id = placed["order_id"]
    amended = buyer.post(f"/api/v1/orders/{order_id}/amend/", {"lines": [{"sku": "FLOW-RED", "quantity": 3}]})
    assert amended.status_code == 200, amended.content
    now = order(buyer, order_id)
    assert now["payment_status"] == "paid" and len(now["lines"]) == 1
    main, extra = documents(buyer)["invoice"]
    assert extra["reason"] == "order_amended" and amount(extra["total"]) == Decimal("40.00")  # 2 × 20.00 more
    assert amount(main["total"]) + amount(extra["total"]) == amount(now["totals"]["total"])
    assert buyer.get(f"/api/v1/orders/{order_id}/invoice/").status_code == 200  # still the order's invoice
