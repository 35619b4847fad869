"""Privacy in the contexts built alongside it: reviews (detached from their author, the
rating unchanged), billing (invoices kept with the buyer anonymised, PDF included),
orders' voucher uses (the email goes, the limits hold) and recommendations and promotions
(nothing personal to erase). Each: the export holds the part, the erasure keeps what ratings
and accounting need, the other customer is untouched, a redelivered CustomerErased does nothing more."""

import pytest
from django.apps import apps
from django.utils import timezone

from flowmart.billing import handlers as billing_handlers
from flowmart.billing.models import BilledOrder, Document, ImmutableDocument
from flowmart.billing.services import rendering
from flowmart.common.money import quantize
from flowmart.common.privacy import email_hash, erased_email
from flowmart.contracts.customers import CustomerErased
from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Order, RedeemableVoucher, VoucherRedemption
from flowmart.orders.services.vouchers import _used_by
from flowmart.reviews import handlers as reviews_handlers
from flowmart.reviews.models import Purchase, RatingSummary, Review

from .test_erasure import erase

pytestmark = pytest.mark.django_db(transaction=True)

EXPORT = "/api/v1/me/export/"


def review(shopper, product_id, rating, title) -> dict:
    body = {"rating": rating, "title": title, "text": f"{title}, wrote {shopper.email}"}
    response = shopper.client.post(f"/api/v1/products/{product_id}/reviews/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def invoice_of(shopper) -> Document:
    return Document.objects.get(order_id=shopper.order_id, kind="invoice")


def pdf_bytes(document: Document) -> bytes:
    with rendering.stored_pdf(document).pdf.open("rb") as f:
        return f.read()


def voucher_uses(ada, bob) -> RedeemableVoucher:
    """A voucher each of them used once (limit 1 per customer), as checkout records it."""
    voucher = RedeemableVoucher.objects.create(
        voucher_id=9001, code="WELCOME", kind="percent", percent=10, max_uses_per_customer=1, as_of=timezone.now()
    )
    for shopper in (ada, bob):
        VoucherRedemption.objects.create(
            voucher=voucher,
            order=Order.objects.get(pk=shopper.order_id),
            code="WELCOME",
            customer_id=shopper.id,
            email=shopper.email.lower(),
            discount=2,
            currency="USD",
        )
    return voucher


def test_the_export_holds_reviews_invoices_and_voucher_uses(ada, bob, shop):
    review(ada, shop.product.pk, 5, "Lovely red")
    review(bob, shop.product.pk, 2, "Not for me")
    voucher_uses(ada, bob)

    parts = ada.client.get(EXPORT).json()["contexts"]

    [mine] = parts["reviews"]["reviews"]
    assert (mine["product_id"], mine["rating"], mine["title"]) == (shop.product.pk, 5, "Lovely red")
    invoice = invoice_of(ada)
    [exported] = [d for d in parts["billing"]["invoices"] if d["number"] == invoice.number]
    assert exported["total"] == str(quantize(invoice.total, "USD")) and exported["lines"][0]["sku"] == "FLOW-RED"
    assert exported["buyer_address"]["line1"] == "12 Ada Street"
    assert {d["number"] for d in parts["billing"]["invoices"]} == set(
        Document.objects.filter(
            order_id__in=Order.objects.filter(customer_id=ada.id).values("id"), kind="invoice"
        ).values_list("number", flat=True)
    )
    assert parts["billing"]["credit_notes"] == []
    [use] = parts["orders"]["voucher_uses"]
    assert (use["code"], use["discount"]) == ("WELCOME", "2.00")

    text = str(parts)
    assert bob.email not in text and "Not for me" not in text and invoice_of(bob).number not in text


def test_erasure_detaches_reviews_and_keeps_the_rating(ada, bob, shop):
    mine = review(ada, shop.product.pk, 5, "Lovely red")
    theirs = review(bob, shop.product.pk, 2, "Not for me")
    rating_before = RatingSummary.objects.values("average", "count", "revision").get(product_id=shop.product.pk)
    rating_events = OutboxEvent.objects.filter(name="ProductRatingChanged").count()

    erase(ada.client)

    kept = Review.objects.get(pk=mine["id"])
    assert kept.customer_id is None and kept.status == Review.Status.VISIBLE
    assert (kept.rating, kept.title, kept.text) == (5, "Lovely red", mine["text"])
    assert not Purchase.objects.filter(customer_id=ada.id).exists()
    assert RatingSummary.objects.values("average", "count", "revision").get(product_id=shop.product.pk) == rating_before
    assert OutboxEvent.objects.filter(name="ProductRatingChanged").count() == rating_events
    shown = shop_reviews(bob, shop.product.pk)
    assert {r["id"] for r in shown} == {mine["id"], theirs["id"]}
    assert "customer_id" not in shown[0]

    assert Review.objects.get(pk=theirs["id"]).customer_id == bob.id  # bob untouched
    assert Purchase.objects.filter(customer_id=bob.id).exists()
    assert ada.client.get(EXPORT).status_code in (401, 403)  # the account is gone

    reviews_handlers.erase_personal_data(CustomerErased(customer_id=ada.id, email_hash=email_hash(ada.email)))
    assert Review.objects.filter(customer_id__isnull=True).count() == 1


def shop_reviews(client_owner, product_id) -> list[dict]:
    body = client_owner.client.get(f"/api/v1/products/{product_id}/reviews/").json()
    return body["results"] if isinstance(body, dict) else body


def test_erasure_anonymises_the_buyer_on_invoices_and_their_pdfs(ada, bob):
    before = invoice_of(ada)
    figures = ("number", "series", "order_id", "order_number", "currency", "subtotal", "discount", "tax", "total")
    kept_before = {name: getattr(before, name) for name in figures} | {"issued_at": before.issued_at}
    lines_before = list(before.lines.values("position", "sku", "quantity", "unit_price", "total"))
    assert b"12 Ada Street" in pdf_bytes(before)
    bob_before = rendering.stored_pdf(invoice_of(bob))  # downloaded once: its file must stay

    erase(ada.client)

    after = invoice_of(ada)
    assert {name: getattr(after, name) for name in figures} | {"issued_at": after.issued_at} == kept_before
    assert list(after.lines.values("position", "sku", "quantity", "unit_price", "total")) == lines_before
    assert after.buyer_email == erased_email(ada.id)
    assert after.buyer_address == {**dict.fromkeys(("line1", "line2", "city", "postal_code", "phone"), ""),
                                   "name": "(erased)", "country": "US"}  # fmt: skip
    assert not after.pdf and not before.pdf.storage.exists(before.pdf.name)  # the file showing her is gone
    pdf = pdf_bytes(after)  # drawn again on the next download, from the anonymised document
    assert after.number.encode() in pdf and b"12 Ada Street" not in pdf and ada.email.encode() not in pdf
    billed = BilledOrder.objects.get(order_id=ada.order_id)
    assert billed.customer_email == erased_email(ada.id) and billed.shipping_address["line1"] == ""

    bob_after = invoice_of(bob)
    assert (bob_after.buyer_email, bob_after.buyer_address, bob_after.pdf.name) == (
        bob_before.buyer_email,
        bob_before.buyer_address,
        bob_before.pdf.name,
    )

    billing_handlers.erase_personal_data(CustomerErased(customer_id=ada.id, email_hash=email_hash(ada.email)))
    assert invoice_of(ada).pdf.name == after.pdf.name  # nothing dropped again


def test_an_issued_document_takes_no_other_update_than_the_erasure(ada):
    documents = Document.objects.filter(pk=invoice_of(ada).pk)
    with pytest.raises(ImmutableDocument):
        documents.erase_buyer(buyer_email="x@erased.invalid", total=0)
    with pytest.raises(ImmutableDocument):
        documents.update(buyer_email="x@erased.invalid")


def test_voucher_uses_lose_the_email_and_the_per_customer_limits_hold(ada, bob):
    voucher = voucher_uses(ada, bob)

    erase(ada.client)

    use = VoucherRedemption.objects.get(order_id=ada.order_id)
    assert (use.email, use.customer_id, use.discount) == (erased_email(ada.id), ada.id, 2)
    assert VoucherRedemption.objects.get(order_id=bob.order_id).email == bob.email.lower()
    assert _used_by(voucher.voucher_id, bob.id, bob.email) == 1  # bob's limit still counts his use
    assert _used_by(voucher.voucher_id, None, bob.email) == 1  # and by his email, as for a guest
    assert _used_by(voucher.voucher_id, None, ada.email) == 0  # ada's email is nowhere any more
    assert _used_by(voucher.voucher_id, ada.id, "") == 1  # the counters keep her use


PERSONAL_FIELDS = {"email", "customer_email", "first_name", "last_name", "phone", "address", "shipping_address",
                   "client_ip", "ip_address"}  # fmt: skip


@pytest.mark.parametrize(("app", "may_name_customers"), [("recommendations", False), ("promotions", True)])
def test_recommendations_and_promotions_keep_nothing_personal_to_erase(app, may_name_customers):
    """Recommendations counts orders' SKUs without their customers; promotions keeps voucher
    uses by customer id only (the anonymised account's id, as orders do): no email, name or address."""
    for model in apps.get_app_config(app).get_models():
        names = {field.name for field in model._meta.get_fields()}
        assert not names & PERSONAL_FIELDS, model.__name__
        assert may_name_customers or "customer_id" not in names, model.__name__


def test_an_erased_authors_hidden_review_is_shown_to_nobody(client):
    hidden = Review.objects.create(product_id=1, customer_id=None, rating=1, title="Gone", status=Review.Status.HIDDEN)
    assert client.get(f"/api/v1/reviews/{hidden.pk}/").status_code == 404  # None is not the anonymous caller's
