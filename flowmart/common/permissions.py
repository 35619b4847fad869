"""DRF permissions of the staff endpoints, and how the OpenAPI schema shows them.

Every staff endpoint answers the same way: anonymous → 401 `not_authenticated`; signed
in without a staff role (a customer, or `is_staff` alone) → 403 `permission_denied`;
seller staff on another seller's object → 404 `not_found` (lists leave those out);
seller staff on an object they may see but not act on → 403 `permission_denied`.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission

from .roles import OPERATIONS, SELLER_STAFF, is_operations, is_staff_member
from .schema import ErrorSerializer


class IsOperations(BasePermission):
    """The `operations` role (or a superuser)."""

    message = "Only operations staff may do this."

    def has_permission(self, request, view):
        return is_operations(request.user)


class IsOperationsOrSellerStaff(BasePermission):
    """Operations, or a seller's staff. The view scopes seller staff to their own sellers'
    SKUs (flowmart.common.roles.StaffScope): 404 for other sellers' objects."""

    message = "Only operations or seller staff may do this."

    def has_permission(self, request, view):
        return is_staff_member(request.user)


STAFF_PERMISSIONS = (IsOperations, IsOperationsOrSellerStaff)

NOT_AUTHENTICATED = "`not_authenticated`: no Bearer token, or an invalid or expired one."
DENIED = "`permission_denied`: the caller holds no staff role (customers; `is_staff` alone grants nothing)."
NOT_FOUND = "`not_found`: no such object, or it belongs to another seller (seller staff)."


def staff_schema(
    *,
    who: str,
    responses: dict,
    operations_only: bool = False,
    denied: str = DENIED,
    not_found: str = NOT_FOUND,
    customers: str = "",
    **kw,
):
    """extend_schema for a staff endpoint: what each role gets (`who`, in the description and
    as `x-roles`) and the 401/403/404 answers with the error body, next to `responses`.
    `customers` says what a customer gets from an endpoint that also serves them their own."""
    roles = [OPERATIONS] if operations_only else [OPERATIONS, SELLER_STAFF]
    errors = {
        401: OpenApiResponse(ErrorSerializer, description=NOT_AUTHENTICATED),
        403: OpenApiResponse(ErrorSerializer, description=denied),
    }
    if not_found:
        errors[404] = OpenApiResponse(ErrorSerializer, description=not_found)
    description = f"**Staff only** (roles: {', '.join(roles)}). {who}"
    if customers:
        description = f"**Staff** (roles: {', '.join(roles)}) **and customers, their own**. {who} {customers}"
    return extend_schema(
        description=description, responses={**responses, **errors}, extensions={"x-roles": roles}, **kw
    )
