"""Staff roles, shared by every context: who may use the operations API and screens,
and which sellers a seller's staff act for.

Roles are Django groups (created by a data migration): `operations` works on every
seller's orders, stock and payments; `seller staff` only on their own sellers' (the
sellers come from `SellerStaffChanged`, kept per context in a SellerStaffBase table).
Superusers count as operations. `is_staff` alone grants nothing.
"""

from django.db import models

OPERATIONS = "operations"
SELLER_STAFF = "seller staff"


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


class SellerStaffBase(models.Model):
    """A context's copy of (staff user, seller) pairs, kept from SellerStaffChanged."""

    user_id = models.BigIntegerField(db_index=True)
    seller_id = models.BigIntegerField()

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["user_id", "seller_id"], name="%(app_label)s_%(class)s_once")]

    @classmethod
    def apply(cls, user_id: int, seller_ids) -> None:
        """Replace the user's sellers with `seller_ids` (the event is sent whole)."""
        cls.objects.filter(user_id=user_id).exclude(seller_id__in=seller_ids).delete()
        have = set(cls.objects.filter(user_id=user_id).values_list("seller_id", flat=True))
        cls.objects.bulk_create([cls(user_id=user_id, seller_id=s) for s in seller_ids if s not in have])

    @classmethod
    def seller_ids_of(cls, user) -> list[int]:
        return list(cls.objects.filter(user_id=user.pk).values_list("seller_id", flat=True))
