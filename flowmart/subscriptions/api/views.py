"""Subscribe & Save endpoints. Views translate HTTP only: shape checks, one service or
selector call with the caller's id (another customer's subscription is 404), rendering."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.errors import InvalidRequest
from flowmart.common.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotency_key
from flowmart.common.schema import errors

from .. import selectors
from ..models import CustomerAddress, ShippingMethod
from ..services import lifecycle
from ..services.emitting import ADDRESS_FIELDS, renewal_price
from . import serializers as s

CONFLICT_CODES = (
    "409 codes: subscription_cancelled, already_paused, not_paused, subscription_paused, past_due, "
    "renewal_in_progress, not_for_sale, minimum_cycles, plan_of_another_product."
)


def valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def known_method(data: dict) -> dict:
    method = data.get("shipping_method")
    if method and not ShippingMethod.objects.filter(code=method).exists():
        raise InvalidRequest("Unknown shipping method.", fields={"shipping_method": [f"No method {method!r}."]})
    return data


def with_address(customer_id: int, data: dict) -> dict:
    """The inline address, or the saved one (subscriptions' copy of the address book) as `address`."""
    if "shipping_address" in data:
        return {**data, "address": dict(data["shipping_address"])}
    if "shipping_address_id" not in data:
        return data
    saved = CustomerAddress.objects.filter(
        address_id=data["shipping_address_id"], customer_id=customer_id, deleted=False
    ).first()
    if saved is None:
        raise InvalidRequest(
            "Unknown address.", fields={"shipping_address_id": ["No such address in your address book."]}
        )
    return {**data, "address": {f: saved.address.get(f) or "" for f in ADDRESS_FIELDS}}


def render(sub, detail: bool = False) -> dict:
    sub.refresh_from_db()
    context = {"prices": {sub.pk: renewal_price(sub)}}
    if detail:
        context["renewals"] = selectors.renewals_of(sub)
        return s.SubscriptionDetailSerializer(sub, context=context).data
    return s.SubscriptionSerializer(sub, context=context).data


class PlansView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.PlanSerializer

    @extend_schema(parameters=[OpenApiParameter("product", int, description="only plans of this product id")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        product = self.request.query_params.get("product")
        if product is not None and not product.isdigit():
            raise InvalidRequest("product must be a product id.", fields={"product": ["Must be an integer."]})
        return selectors.plans(int(product) if product else None)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        variants = selectors.variants_by_sku(p.sku for p in page)
        for plan in page:
            plan.variant = variants[plan.sku]
            plan.price = plan.variant.money
        return page


class SubscriptionsView(generics.ListAPIView):
    serializer_class = s.SubscriptionSerializer

    def get_queryset(self):
        return selectors.subscriptions_of(self.request.user.id)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "prices": getattr(self, "_prices", {})}

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        variants = selectors.variants_by_sku(sub.plan.sku for sub in page)
        self._prices = {sub.pk: renewal_price(sub, variants.get(sub.plan.sku)) for sub in page}
        return page

    @extend_schema(
        request=s.SubscribeSerializer,
        responses={201: s.SubscriptionSerializer, **errors(404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Subscribe: the first order is placed at once through checkout's saga with the plan's discount.",
    )
    def post(self, request):
        key = idempotency_key(request)
        data = with_address(request.user.id, known_method(valid(s.SubscribeSerializer, request.data)))
        data.setdefault("time_zone", settings.SUBSCRIPTIONS["DEFAULT_TIME_ZONE"])
        body_hash = lifecycle.request_hash(request.data)
        sub = lifecycle.start(request.user.id, request.user.email, key, body_hash, data)
        return Response(render(sub), status=status.HTTP_201_CREATED)


class SubscriptionView(APIView):
    @extend_schema(responses={200: s.SubscriptionDetailSerializer, **errors(404)})
    def get(self, request, subscription_id):
        return Response(render(selectors.subscription_of(request.user.id, subscription_id), detail=True))

    @extend_schema(
        request=s.ChangeSerializer,
        responses={200: s.SubscriptionDetailSerializer, **errors(404, 409)},
        description="Change quantity, plan (interval or variant of the same product), address or card. "
        + CONFLICT_CODES,
    )
    def patch(self, request, subscription_id):
        selectors.subscription_of(request.user.id, subscription_id)  # 404 before any 400
        data = with_address(request.user.id, known_method(valid(s.ChangeSerializer, request.data)))
        sub = lifecycle.change(request.user.id, subscription_id, data)
        return Response(render(sub, detail=True))


class ActionView(APIView):
    """POST .../{id}/<action>/: each answers the subscription, or 409 with a code."""

    action = ""
    request_serializer = None

    def post(self, request, subscription_id):
        selectors.subscription_of(request.user.id, subscription_id)
        data = valid(self.request_serializer, request.data) if self.request_serializer else {}
        sub = self.perform(request.user.id, subscription_id, data)
        return Response(render(sub, detail=True))


def action_view(name: str, perform, serializer=None, doc: str = ""):
    schema = extend_schema(
        request=serializer,
        responses={200: s.SubscriptionDetailSerializer, **errors(404, 409)},
        description=f"{doc} {CONFLICT_CODES}",
        operation_id=f"subscriptions_{name.replace('-', '_')}",
    )

    def post(self, request, subscription_id):  # its own function: the schema decorator marks it
        return ActionView.post(self, request, subscription_id)

    return type(
        f"{name.title().replace('-', '')}View",
        (ActionView,),
        {"action": name, "request_serializer": serializer, "perform": staticmethod(perform), "post": schema(post)},
    )


PauseView = action_view(
    "pause",
    lambda customer, sub_id, data: lifecycle.pause(customer, sub_id, data.get("until")),
    s.PauseSerializer,
    "Pause (optionally until a date; it resumes by itself then).",
)
ResumeView = action_view("resume", lambda c, i, d: lifecycle.resume(c, i), None, "Resume a paused subscription.")
SkipView = action_view("skip", lambda c, i, d: lifecycle.skip(c, i), None, "Skip the next cycle.")
ShipNowView = action_view("ship-now", lambda c, i, d: lifecycle.ship_now(c, i), None, "Bill the next cycle today.")
CancelView = action_view(
    "cancel", lambda c, i, d: lifecycle.cancel(c, i, d["reason"]), s.CancelSerializer, "Cancel, with a reason."
)
