"""Staff roles, shared by every context: who may use the operations API and screens,
and which sellers a seller's staff act for.

Roles are Django groups (created by a data migration in customers): `operations` works on
every seller's orders, stock and payments; `seller staff` only on their own sellers' (the
sellers come from `SellerStaffChanged`, kept per context in a SellerStaffBase table, and
the SKUs of those sellers from `ProductPublished`, kept in a SellerSkuBase table).
Superusers count as operations. `is_staff` alone grants nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

OPERATIONS = "operations"
SELLER_STAFF = "seller staff"
ROLES = (OPERATIONS, SELLER_STAFF)


def _in_group(user, group: str) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    cached = getattr(user, "_flowmart_groups", None)
    if cached is None:
        cached = user._flowmart_groups = frozenset(user.groups.values_list("name", flat=True))
    return group in cached


def is_operations(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser) or _in_group(user, OPERATIONS)


def is_seller_staff(user) -> bool:
    """A seller's staff (and not operations): everything they see is scoped to their sellers."""
    return not is_operations(user) and _in_group(user, SELLER_STAFF)


def is_staff_member(user) -> bool:
    """Holds one of the staff roles (operations or seller staff)."""
    return is_operations(user) or is_seller_staff(user)


class SellerStaffBase(models.Model):
    """A context's copy of (staff user, seller) pairs, kept from SellerStaffChanged.

    Every row carries the time of the event that wrote it, so a late, older event is
    recognised and ignored: a revoked membership must not come back because the grant
    before it was delivered after the revocation. A user who works for no seller any
    more keeps one row without a seller, which holds that time."""

    user_id = models.BigIntegerField(db_index=True)
    seller_id = models.BigIntegerField(null=True, blank=True, help_text="empty: the user works for no seller")
    as_of = models.DateTimeField(help_text="occurred_at of the SellerStaffChanged that wrote the row")

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["user_id", "seller_id"], name="%(app_label)s_%(class)s_once"),
            models.UniqueConstraint(
                fields=["user_id"], condition=Q(seller_id__isnull=True), name="%(app_label)s_%(class)s_one_empty"
            ),
        ]

    def __str__(self):
        return f"user {self.user_id} → seller {self.seller_id or '-'}"

    @classmethod
    def apply(cls, user_id: int, seller_ids: Iterable[int], as_of: datetime) -> bool:
        """Replace the user's sellers with `seller_ids` (the event is sent whole), unless
        what is stored is as new or newer. Returns False when the change was stale."""
        held = cls.objects.select_for_update().filter(user_id=user_id)
        if held.filter(as_of__gte=as_of).exists():
            return False
        held.delete()
        wanted = sorted(set(seller_ids)) or [None]
        cls.objects.bulk_create([cls(user_id=user_id, seller_id=s, as_of=as_of) for s in wanted])
        return True

    @classmethod
    def sellers_of(cls, user) -> models.QuerySet:
        """The user's seller ids, as a subquery-ready queryset."""
        return cls.objects.filter(user_id=user.pk, seller_id__isnull=False).values("seller_id")

    @classmethod
    def seller_ids_of(cls, user) -> list[int]:
        return list(cls.sellers_of(user).values_list("seller_id", flat=True))


class SellerSkuBase(models.Model):
    """A context's copy of which seller sells each SKU, kept from ProductPublished.

    Kept after the product is retired (its stock and parcels still belong to the seller);
    `as_of` lets a late, older event lose against a product moved to another seller."""

    sku = models.CharField(max_length=64, unique=True)
    seller_id = models.BigIntegerField(db_index=True)
    as_of = models.DateTimeField(help_text="occurred_at of the ProductPublished that wrote the row")

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.sku} (seller {self.seller_id})"

    @classmethod
    def apply(cls, seller_id: int, skus: Iterable[str], as_of: datetime) -> None:
        skus = set(skus)
        cls.objects.filter(sku__in=skus, as_of__lt=as_of).update(seller_id=seller_id, as_of=as_of)
        known = set(cls.objects.filter(sku__in=skus).values_list("sku", flat=True))
        cls.objects.bulk_create(
            [cls(sku=sku, seller_id=seller_id, as_of=as_of) for sku in sorted(skus - known)], ignore_conflicts=True
        )


@dataclass
class StaffScope:
    """What one staff user may touch in one context: everything (operations), their sellers'
    SKUs (seller staff), or nothing. Built from the context's own two projections."""

    user: object
    staff_model: type[SellerStaffBase]
    sku_model: type[SellerSkuBase]

    @cached_property
    def everything(self) -> bool:
        return is_operations(self.user)

    def skus(self) -> models.QuerySet:
        """The SKUs of a seller-staff user's sellers, as a subquery; empty for anyone else,
        operations included: check `everything` first (operations are not limited to SKUs
        this context has heard of)."""
        if not is_seller_staff(self.user):
            return self.sku_model.objects.none().values("sku")
        return self.sku_model.objects.filter(seller_id__in=self.staff_model.sellers_of(self.user)).values("sku")

    def owned(self, skus: Iterable[str]) -> set[str]:
        """Which of `skus` the user may act on."""
        skus = set(skus)
        if self.everything:
            return skus
        return set(self.skus().filter(sku__in=skus).values_list("sku", flat=True))

    def owns_all(self, skus: Iterable[str]) -> bool:
        """True when every one of `skus` is the user's (never for an empty set, unless operations)."""
        skus = set(skus)
        return self.everything or (bool(skus) and self.owned(skus) == skus)
