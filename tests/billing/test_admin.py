"""Billing's admin screens: operations list, search and filter every invoice and credit note
and download their PDFs; a seller's staff see only documents holding their lines, with only
their lines' amounts, and nothing of another seller's documents by any URL."""

import pytest
from django.apps import apps
from django.test import Client

from flowmart.billing.models import Document
from flowmart.common import roles
from flowmart.contracts.catalog import SellerStaffChanged
from tests.billing.conftest import deliver, line, paid_order, refunded
from tests.support.roles import install_roles

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(make_staff):
    import importlib

    install_roles()
    importlib.import_module("flowmart.billing.migrations.0002_staff_roles").grant_billing_views(apps)
    ops = make_staff(roles.OPERATIONS, email="ops@shop.test").user
    north = make_staff(roles.SELLER_STAFF, email="staff@north.test").user
    acme = make_staff(roles.SELLER_STAFF, email="staff@acme.test").user
    deliver(SellerStaffChanged(user_id=north.id, seller_ids=(1,)))
    deliver(SellerStaffChanged(user_id=acme.id, seller_ids=(2,)))
    return {"ops": logged_in(ops), "north": logged_in(north), "acme": logged_in(acme)}


@pytest.fixture
def documents():
    paid_order(1)  # mixed: MUG-1 (seller 1, 38.86) and TEA-1 (seller 2, 5.40)
    paid_order(2, lines=(line("MUG-2", 1, "10.00"),), shipping="0", discount="0", tax="0")  # seller 1 only
    paid_order(3, lines=(line("TEA-2", 3, "2.00", seller_id=2),), shipping="0", discount="0", tax="0")
    deliver(refunded(1, 10, "49.25", reason="order_cancelled", fully=True))
    return {d.order_id if d.kind == "invoice" else "cn": d for d in Document.objects.all()}


def test_operations_list_search_and_filter_every_document(staff, documents):
    ops = staff["ops"]
    page = ops.get("/admin/billing/invoice/").content.decode()
    assert all(documents[o].number in page for o in (1, 2, 3)) and "$49.25" in page
    searched = ops.get("/admin/billing/invoice/", {"q": "FM-000002"}).content.decode()
    assert documents[2].number in searched and documents[3].number not in searched
    by_email = ops.get("/admin/billing/invoice/", {"q": "ada@example.com"})
    assert by_email.status_code == 200
    by_series = ops.get("/admin/billing/invoice/", {"series": documents[1].series}).content.decode()
    assert documents[1].number in by_series
    notes = ops.get("/admin/billing/creditnote/").content.decode()
    assert documents["cn"].number in notes and documents[1].number in notes  # the credited invoice
    assert ops.get(f"/admin/billing/invoice/{documents[1].pk}/change/").status_code == 200
    pdf = ops.get(f"/admin/billing/invoice/{documents[1].pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_nothing_is_added_changed_or_deleted(staff, documents):
    ops = staff["ops"]
    assert ops.get("/admin/billing/invoice/add/").status_code == 403
    response = ops.post(f"/admin/billing/invoice/{documents[2].pk}/change/", {"buyer_email": "x@y.z"})
    assert response.status_code == 403
    assert Document.objects.get(pk=documents[2].pk).buyer_email == "ada@example.com"
    assert ops.get(f"/admin/billing/invoice/{documents[2].pk}/delete/").status_code == 403


def test_seller_staff_see_only_documents_with_their_lines_and_only_their_amounts(staff, documents):
    north = staff["north"].get("/admin/billing/invoice/").content.decode()
    assert documents[1].number in north and documents[2].number in north and documents[3].number not in north
    assert "$38.86" in north and "$49.25" not in north  # their line of the mixed invoice, not its total
    assert "/admin/billing/creditnote/" in north  # in their sidebar
    page = staff["north"].get(f"/admin/billing/invoice/{documents[1].pk}/change/").content.decode()
    assert "MUG-1" in page and "TEA-1" not in page and "49.25" not in page
    acme = staff["acme"].get(f"/admin/billing/invoice/{documents[1].pk}/change/").content.decode()
    assert "TEA-1" in acme and "MUG-1" not in acme


def test_seller_staff_reach_no_other_sellers_document_nor_a_mixed_pdf(staff, documents):
    north = staff["north"]
    for suffix in ("change/", "history/", "pdf/"):
        assert north.get(f"/admin/billing/invoice/{documents[3].pk}/{suffix}").status_code == 404
    assert north.get(f"/admin/billing/invoice/{documents[1].pk}/pdf/").status_code == 403  # also acme's line
    own = north.get(f"/admin/billing/invoice/{documents[2].pk}/pdf/")
    assert own.status_code == 200 and b"".join(own.streaming_content).startswith(b"%PDF")
    searched = north.get("/admin/billing/invoice/", {"q": documents[3].number}).content.decode()
    assert f"/admin/billing/invoice/{documents[3].pk}/change/" not in searched
