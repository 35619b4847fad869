"""Storefront endpoints for carts, shipping quotes, checkout and orders.

Views only translate HTTP: they validate the shape of a request, call one service
or selector with the caller's id, and render the result.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.client import client_ip
from flowmart.common.errors import InvalidRequest
from flowmart.common.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotency_key
from flowmart.common.schema import errors
from flowmart.common.serializers import money_body, requested_currency
from flowmart.common.throttling import by_customer

from .. import selectors
from ..services import cart_channels, cart_currency, carts, changes, checkout
from ..services.placing import Customer
from . import serializers as s
from . import tax_fields, waiting
from .vouchers import with_vouchers


def cart_body(cart, *, new: bool = False) -> dict:
    """The cart as the API shows it; `new`: made by this request, so empty (no lines or vouchers to read)."""
    items = [] if new else selectors.cart_items(cart)
    totals = selectors.cart_totals(cart, items, new=new)
    body = {
        "id": cart.pk,
        "token": cart.token,
        "items": s.CartItemSerializer(
            items, many=True, context={"available": selectors.availability(i.variant_id for i in items)}
        ).data,
        "totals": {name: money_body(money) for name, money in totals.as_dict().items()},
        "currency": totals.total.currency,
        "shipping_country": cart.shipping_country or None,
        "shipping_method": cart.shipping_method or None,
        **tax_fields.cart_fields(cart, totals),
    }
    tax_fields.add_line_tax(body["items"], totals)
    return with_vouchers(body, totals)


def _item_body(item) -> dict:
    """One line as answered after a change: its SKU's availability read once (for both `available`
    and `warning`): as the change checked it, else after the change committed."""
    if hasattr(item, "available"):
        available = {item.variant_id: item.available}
    else:
        available = selectors.availability([item.variant_id])
    return s.CartItemSerializer(item, context={"available": available}).data


def valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


CART_TOKEN = "X-Cart-Token"
CART_TOKEN_PARAMETER = OpenApiParameter(
    CART_TOKEN,
    str,
    OpenApiParameter.HEADER,
    description="Guests (no Bearer token): the `token` of their cart, as POST /carts/ answered it.",
)


def cart_owner(request, *, required: bool = True):
    """The customer's id, or a guest by their cart token; a client with neither is 401."""
    if request.user and request.user.is_authenticated:
        return request.user.id
    token = request.headers.get(CART_TOKEN, "").strip()
    if token and len(token) <= 64:
        return selectors.Guest(token)
    if required:
        raise NotAuthenticated("Send a Bearer token, or the guest cart's X-Cart-Token.")
    return None


class GuestFriendlyView(APIView):
    """Carts, quotes and checkout also serve guests (the cart token is their credential)."""

    permission_classes = [AllowAny]


class CartsView(GuestFriendlyView):
    @extend_schema(
        request=s.NewCartSerializer,
        parameters=[CART_TOKEN_PARAMETER],
        responses={201: s.CartSerializer, 200: s.CartSerializer},
        description="One open cart per customer. Without a Bearer token a guest cart is made and its `token` "
        "answered: send it as X-Cart-Token from then on (a known token answers its open cart, 200); it is merged "
        "into the customer's cart when they log in or register with the header. `channel` names the sales "
        "channel (whether prices include tax); it also moves an open cart answered here to that channel.",
    )
    def post(self, request):
        data = valid(s.NewCartSerializer, request.data or {})
        currency = requested_currency(data["currency"])
        if "channel" in data:
            cart_channels.check_channel(data["channel"])
        cart, created = carts.open_cart(cart_owner(request, required=False), currency or "")
        if "channel" in data:
            cart = cart_channels.choose_channel(cart, data["channel"])
        return Response(cart_body(cart, new=created), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CartView(GuestFriendlyView):
    @extend_schema(parameters=[CART_TOKEN_PARAMETER], responses=s.CartSerializer)
    def get(self, request, cart_id):
        return Response(cart_body(selectors.cart_of(cart_owner(request), cart_id)))

    @extend_schema(
        parameters=[CART_TOKEN_PARAMETER],
        request=s.CartDestinationSerializer,
        responses={200: s.CartSerializer, **errors(409)},
    )
    def patch(self, request, cart_id):
        owner = cart_owner(request)
        data = valid(s.CartDestinationSerializer, request.data)
        currency = requested_currency(data.get("currency"))
        if currency is not None:  # docs/currency.md: re-priced in it, or 409 not_sold_in_currency
            cart = cart_currency.change_currency(owner, cart_id, currency)
        if currency is None or {"shipping_country", "shipping_method", "shipping_region"} & set(request.data):
            cart = carts.set_destination(
                owner, cart_id, data["shipping_country"], data["shipping_method"], region=data["shipping_region"]
            )
        return Response(cart_body(cart))


class CartItemsView(GuestFriendlyView):
    @extend_schema(
        parameters=[CART_TOKEN_PARAMETER],
        request=s.AddItemSerializer,
        responses={201: s.CartItemSerializer, **errors(409)},
        description="More units than can be sold answer 409 `insufficient_stock` with `sku` and `available`.",
    )
    def post(self, request, cart_id):
        owner = cart_owner(request)
        data = valid(s.AddItemSerializer, request.data)
        item = carts.add_item(owner, cart_id, data["sku"], data["quantity"])
        return Response(_item_body(item), status=status.HTTP_201_CREATED)


class CartItemView(GuestFriendlyView):
    @extend_schema(
        parameters=[CART_TOKEN_PARAMETER],
        request=s.ChangeItemSerializer,
        responses={200: s.CartItemSerializer, **errors(409)},
    )
    def patch(self, request, cart_id, item_id):
        owner = cart_owner(request)
        data = valid(s.ChangeItemSerializer, request.data)
        item = carts.change_item(owner, cart_id, item_id, data["quantity"])
        return Response(_item_body(item))

    @extend_schema(parameters=[CART_TOKEN_PARAMETER], responses={204: None, **errors(409)})
    def delete(self, request, cart_id, item_id):
        carts.remove_item(cart_owner(request), cart_id, item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


REASON_HEADER = "Shipping-Unavailable-Reason"


class ShippingMethodsView(GuestFriendlyView):
    """API.md fixes the answer as the list of offers; why none fits travels beside it, in the
    `Shipping-Unavailable-Reason` header when the list is empty, and in full (per method) in
    the object `?explain=true` asks for instead of the list."""

    @extend_schema(
        parameters=[
            s.ShippingMethodsQuerySerializer,
            CART_TOKEN_PARAMETER,
            OpenApiParameter(
                REASON_HEADER,
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description="Only when no method fits: too_heavy, no_zone, no_rate_in_currency or no_methods.",
            ),
        ],
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="ShippingMethodsAnswer",
                    serializers=[s.ShippingOfferSerializer(many=True), s.ShippingExplanationSerializer],
                    resource_type_field_name=None,
                    many=False,
                ),
                description="The offers (a list); with explain=true the object with `reason` and `unavailable`.",
            )
        },
    )
    def get(self, request):
        query = valid(s.ShippingMethodsQuerySerializer, request.query_params)
        cart = selectors.open_cart_of(cart_owner(request, required=False))
        answer = selectors.shipping_offers(cart, query["country"])
        offers = [{**offer, "price": money_body(offer["price"])} for offer in answer["methods"]]
        body = {**answer, "methods": offers} if query["explain"] else offers
        response = Response(body)
        if answer["reason"]:
            response[REASON_HEADER] = answer["reason"]
        return response


class CheckoutView(GuestFriendlyView):
    # Checkouts per customer, per client address for guests (DEFAULT_THROTTLE_RATES); payments'
    # fraud rules screen guests too (by email, card and address).
    throttle_classes = [by_customer("checkout")]

    @extend_schema(
        request=s.CheckoutSerializer,
        responses={201: s.CheckoutResponseSerializer, **errors(404, 409, 422)},
        parameters=[
            IDEMPOTENCY_KEY_PARAMETER,
            CART_TOKEN_PARAMETER,
        ],
        description="Customers check out their cart; guests (X-Cart-Token, no Bearer token) also send `email`, "
        "and the answer carries `guest_order_url`, the signed link to the order (also in the confirmation email).",
    )
    def post(self, request):
        key = idempotency_key(request)
        owner = cart_owner(request)
        data = valid(s.CheckoutSerializer, request.data)
        if isinstance(owner, selectors.Guest):
            if not data.get("email"):
                raise InvalidRequest("Guests give an email address.", fields={"email": ["Required for a guest."]})
            customer = Customer(id=None, email=data["email"])
        else:
            user = request.user
            customer = Customer(id=user.id, email=user.email, joined_at=user.date_joined)
        body_hash = checkout.request_hash(request.data)
        code, body = checkout.checkout(customer, key, body_hash, data, client_ip(request), owner=owner)
        return Response(body, status=code)


class OrdersView(generics.ListAPIView):
    serializer_class = s.OrderSerializer

    @extend_schema(parameters=[OpenApiParameter("status", str, description="only orders in this status")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        orders = selectors.orders_of(self.request.user.id)
        status_filter = self.request.query_params.get("status")
        return orders.filter(status=status_filter) if status_filter else orders


class OrderView(APIView):
    @extend_schema(
        parameters=[waiting.OrderWaitQuerySerializer],
        responses={200: s.OrderSerializer, **errors(400)},
        description="With `wait` the answer comes once the order is in that status or will not get there by "
        "itself (e.g. `wait=paid` also answers a cancelled order, a fraud hold or a payment that needs the "
        "customer), or after `timeout` seconds with the order as it stands: wait instead of polling.",
    )
    def get(self, request, order_id):
        # Another customer's order: 404 at once, before any 400 about the parameters and without waiting.
        return Response(waiting.order_body(request.user.id, order_id, request.query_params, s.OrderSerializer))


class OrderCancelView(APIView):
    @extend_schema(request=None, responses={200: s.OrderSerializer, **errors(409)})
    def post(self, request, order_id):
        changes.cancel_by_customer(request.user.id, order_id)
        return Response(s.OrderSerializer(selectors.order_of(request.user.id, order_id)).data)


class OrderAmendView(APIView):
    @extend_schema(request=s.AmendSerializer, responses={200: s.OrderSerializer, **errors(409)})
    def post(self, request, order_id):
        selectors.order_of(request.user.id, order_id)  # another customer's order is 404 before any 400
        data = valid(s.AmendSerializer, request.data)
        changes.amend(request.user.id, order_id, data["lines"])
        return Response(s.OrderSerializer(selectors.order_of(request.user.id, order_id)).data)


class OrderReturnsView(APIView):
    @extend_schema(request=s.ReturnSerializer, responses={201: s.ReturnResponseSerializer, **errors(409)})
    def post(self, request, order_id):
        selectors.order_of(request.user.id, order_id)  # another customer's order is 404 before any 400
        data = valid(s.ReturnSerializer, request.data)
        ret = changes.request_return(request.user.id, order_id, data["lines"], data["reason"])
        # Committed: read it back as the order shows it (in eager mode shipping has issued the label).
        ret = selectors.return_of(request.user.id, ret.return_id)
        return Response(s.ReturnResponseSerializer(ret).data, status=status.HTTP_201_CREATED)


class GuestOrderView(APIView):
    """A guest's order through the signed link of their checkout answer and confirmation
    email (the token is the credential: no login). Anything else is 404."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=s.OrderSerializer)
    def get(self, request, token):
        return Response(s.OrderSerializer(selectors.guest_order(token)).data)
