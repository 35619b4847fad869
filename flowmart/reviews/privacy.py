"""The reviews side of privacy (docs/privacy.md): the customer's reviews in the export, and
the erasure.

Erasure keeps what the customer wrote and detaches it from them: rating, title, text, the
seller's reply and the moderation record stay (the product's rating and other shoppers'
reading do not change with one account), while `customer_id` is emptied, so the review is
nobody's any more (shown without an author, as every review is, and never editable again).
Visible reviews stay visible, so the rating summary does not move and no ProductRatingChanged
is due. The verified-purchase projection (which orders were the customer's) is deleted.

Reports are counted per review without their reporter (only the last reason, about the
review): nothing of a reporter is stored, so nothing of one is exported or erased."""

from django.db import transaction

from .models import CatalogProduct, Purchase, Review


def export_customer(customer_id: int, email: str) -> dict:
    reviews = list(Review.objects.filter(customer_id=customer_id).order_by("id"))
    names = dict(
        CatalogProduct.objects.filter(product_id__in={r.product_id for r in reviews}).values_list(
            "product_id", "product_name"
        )
    )
    return {"reviews": [_review(review, names.get(review.product_id, "")) for review in reviews]}


def _review(review: Review, product_name: str) -> dict:
    return {
        "id": review.id,
        "product_id": review.product_id,
        "product_name": product_name,
        "rating": review.rating,
        "title": review.title,
        "text": review.text,
        "status": review.status,
        "created_at": review.created_at.isoformat(),
        "updated_at": review.updated_at.isoformat(),
        "reply": (
            {"text": review.reply_text, "created_at": review.replied_at.isoformat()} if review.replied_at else None
        ),
    }


@transaction.atomic
def erase_customer(customer_id: int) -> None:
    """CustomerErased: the reviews lose their author, the purchases projection goes. Running
    it again finds nothing of the customer left (idempotent)."""
    Review.objects.filter(customer_id=customer_id).update(customer_id=None)
    Purchase.objects.filter(customer_id=customer_id).delete()
