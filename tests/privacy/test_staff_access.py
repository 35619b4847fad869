"""Staff looking at a customer's personal data in the admin is recorded (who, when, what),
and the record is listed for superusers only."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from flowmart.billing.models import BilledOrder, Document
from flowmart.common import roles
from flowmart.customers.models import StaffAccessRecord
from flowmart.orders.models import Order
from tests.support.roles import install_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser(email="root@flowmart.local", password="Root-pass-123")


@pytest.fixture
def operator(make_staff):
    return make_staff(roles.OPERATIONS).user


def test_opening_a_customers_page_records_who_saw_it_when(client, superuser, make_customer):
    customer = make_customer().user
    client.force_login(superuser)
    assert client.get(f"/admin/customers/user/{customer.pk}/change/").status_code == 200

    [record] = StaffAccessRecord.objects.all()
    assert (record.staff_id, record.staff_email, record.customer_id) == (superuser.pk, superuser.email, customer.pk)
    assert (record.context, record.what, record.object_ref) == ("customers", "customer page", f"user {customer.pk}")
    assert record.at is not None

    assert client.get("/admin/customers/user/").status_code == 200  # a list is not a customer's page
    assert StaffAccessRecord.objects.count() == 1


def test_an_operator_opening_an_order_page_is_recorded_by_orders(client, operator, make_customer):
    customer = make_customer().user
    order = Order.objects.create(
        customer_id=customer.pk,
        customer_email=customer.email,
        currency="USD",
        subtotal=10,
        shipping=0,
        tax=0,
        total=10,
        shipping_address={"name": "Ada", "line1": "1 Main St", "country": "US"},
        shipping_method="standard",
        payment_provider="dummy",
    )
    client.force_login(operator)
    assert client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    [record] = StaffAccessRecord.objects.all()
    assert (record.staff_email, record.customer_id, record.context, record.what) == (
        operator.email,
        customer.pk,
        "orders",
        "order page",
    )


def test_the_admin_export_answers_json_and_is_recorded(client, superuser, make_customer):
    customer = make_customer(first_name="Ada").user
    client.force_login(superuser)
    response = client.post(
        "/admin/customers/user/", {"action": "export_personal_data", "_selected_action": [customer.pk]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    [export] = json.loads(response.content)
    assert export["contexts"]["customers"]["profile"]["first_name"] == "Ada"
    [record] = StaffAccessRecord.objects.filter(what="export")
    assert record.customer_id == customer.pk and record.staff_id == superuser.pk


def test_the_access_log_is_for_superusers_only(client, superuser, operator, make_customer):
    install_roles()
    customer = make_customer().user
    client.force_login(operator)
    client.get(f"/admin/customers/user/{customer.pk}/change/")
    assert client.get("/admin/customers/staffaccessrecord/").status_code == 403

    client.force_login(superuser)
    listing = client.get("/admin/customers/staffaccessrecord/")
    assert listing.status_code == 200
    assert operator.email in listing.content.decode()
    record = StaffAccessRecord.objects.first()
    assert client.post(f"/admin/customers/staffaccessrecord/{record.pk}/delete/").status_code == 403


def test_shipment_and_message_pages_are_recorded_by_their_contexts(client, superuser, make_customer):
    from flowmart.notifications.models import Message
    from flowmart.shipping.models import Shipment, ShippingOrder

    customer = make_customer().user
    ShippingOrder.objects.create(order_id=501, customer_id=customer.pk, customer_email=customer.email)
    shipment = Shipment.objects.create(
        order_id=501, warehouse_code="US-EAST", method="standard", carrier="dummy", tracking_number="TRK-501"
    )
    message = Message.objects.create(
        source_key="ev-1",
        recipient_key=f"customer:{customer.pk}",
        channel="email",
        message_type="order_confirmation",
        category="order",
        customer_id=customer.pk,
        to=customer.email,
    )
    client.force_login(superuser)
    assert client.get(f"/admin/shipping/shipment/{shipment.pk}/change/").status_code == 200
    assert client.get(f"/admin/notifications/message/{message.pk}/change/").status_code == 200
    seen = set(StaffAccessRecord.objects.values_list("context", "what", "customer_id"))
    assert seen == {("shipping", "shipment page", customer.pk), ("notifications", "message page", customer.pk)}


def _invoice(customer_id: int | None, order_id: int) -> Document:
    BilledOrder.objects.create(order_id=order_id, order_number=f"FM-{order_id}", customer_id=customer_id)
    document = Document(
        number=f"INV-2026-{order_id:06d}",
        series="INV-2026",
        kind="invoice",
        order_id=order_id,
        order_number=f"FM-{order_id}",
        reference="order",
        buyer_email="ada@example.com",
        buyer_address={"name": "Ada", "line1": "1 Main St", "country": "US"},
        currency="USD",
        subtotal=10,
        discount=0,
        tax=0,
        total=10,
        issued_at=timezone.now(),
    )
    document.pdf.save(f"{document.number}.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    document.save()
    return document


def test_opening_an_invoice_or_its_pdf_is_recorded_by_billing(client, superuser, make_customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer = make_customer().user
    invoice = _invoice(customer.pk, 71)
    guests = _invoice(None, 72)
    client.force_login(superuser)
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/change/").status_code == 200
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/pdf/").status_code == 200
    assert client.get(f"/admin/billing/invoice/{guests.pk}/change/").status_code == 200  # nobody's account

    records = StaffAccessRecord.objects.order_by("id")
    assert [(r.customer_id, r.context, r.what, r.object_ref) for r in records] == [
        (customer.pk, "billing", "invoice", f"invoice {invoice.pk}"),
        (customer.pk, "billing", "invoice PDF", f"invoice {invoice.pk}"),
    ]
