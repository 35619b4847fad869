"""Reads of the reviews context."""

from django.db.models import QuerySet

from .models import CatalogProduct, CatalogSku, PurchaseLine, Review, ReviewSellerStaff


def product_known(product_id: int) -> bool:
    return CatalogProduct.objects.filter(product_id=product_id).exists()


def has_delivered_purchase(customer_id: int, product_id: int) -> bool:
    """A delivered order of this customer holds a SKU of the product (verified purchase)."""
    return PurchaseLine.objects.filter(
        purchase__customer_id=customer_id,
        purchase__delivered_at__isnull=False,
        sku__in=CatalogSku.objects.filter(product_id=product_id).values("sku"),
    ).exists()


def visible_reviews(product_id: int) -> QuerySet[Review]:
    """What shoppers read: hidden reviews are left out, newest first."""
    return Review.objects.filter(product_id=product_id, status=Review.Status.VISIBLE).order_by("-created_at", "-id")


def review_for(review_id: int, *, customer_id: int | None = None) -> Review | None:
    """A visible review, or the caller's own whatever its state (None: someone else's hidden one)."""
    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        return None
    mine = customer_id is not None and review.customer_id == customer_id  # an erased author's is nobody's
    if review.status == Review.Status.VISIBLE or mine:
        return review
    return None


def own_review(review_id: int, customer_id: int) -> Review | None:
    return Review.objects.filter(pk=review_id, customer_id=customer_id).first()


def seller_products(user) -> QuerySet:
    """Ids of the products of the sellers a staff user works for (a subquery)."""
    return CatalogProduct.objects.filter(seller_id__in=ReviewSellerStaff.sellers_of(user)).values("product_id")


def repliable_review(review_id: int, user) -> Review | None:
    """A review of one of the staff user's sellers' products (None for anyone else's)."""
    return Review.objects.filter(pk=review_id, product_id__in=seller_products(user)).first()


def moderation_queue() -> QuerySet[Review]:
    return Review.objects.filter(needs_moderation=True).order_by("-reports", "created_at")
