"""POST/DELETE /api/v1/carts/{id}/voucher/ `{code}`: put a code on the cart or take it off.

Applying is rate limited per customer (guests: per address) and per client address
(scopes `voucher` and `voucher_address`, settings THROTTLE_VOUCHER_RATE and
THROTTLE_VOUCHER_ADDRESS_RATE), so codes cannot be guessed in bulk; and every unusable
code answers the same 422 invalid_voucher (services/vouchers.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from flowmart.common.schema import errors
from flowmart.common.throttling import by_address, by_customer

from ..services import vouchers
from . import serializers as s
from .views import CART_TOKEN_PARAMETER, GuestFriendlyView, cart_body, cart_owner, valid
from .vouchers import VoucherCodeSerializer, VoucherRemovalSerializer


class CartVoucherView(GuestFriendlyView):
    def get_throttles(self):
        if self.request.method == "POST":  # taking a code off is never limited
            return [by_customer("voucher")(), by_address("voucher_address")()]
        return []

    @extend_schema(
        parameters=[CART_TOKEN_PARAMETER],
        request=VoucherCodeSerializer,
        responses={200: s.CartSerializer, **errors(409, 422, 429)},
        description="Apply a code (case and spaces ignored). Every code that cannot be used answers the same "
        "422 `invalid_voucher`; an exclusive code and another answer 409 `voucher_not_combinable`.",
    )
    def post(self, request, cart_id):
        owner = cart_owner(request)
        data = valid(VoucherCodeSerializer, request.data)
        return Response(cart_body(vouchers.add_to_cart(owner, cart_id, data["code"])))

    @extend_schema(
        parameters=[CART_TOKEN_PARAMETER], request=VoucherRemovalSerializer, responses={200: s.CartSerializer}
    )
    def delete(self, request, cart_id):
        owner = cart_owner(request)
        data = valid(VoucherRemovalSerializer, request.data or request.query_params)
        return Response(cart_body(vouchers.remove_from_cart(owner, cart_id, data.get("code"))))
