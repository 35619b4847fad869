"""Storefront endpoints of the notifications context: the caller's message history,
preferences, push subscriptions and back-in-stock wishes. Views translate HTTP only."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.schema import errors

from .. import selectors
from ..services import back_in_stock, preferences, push
from ..vapid import public_key
from . import serializers as s


class MessageListView(generics.ListAPIView):
    """The caller's own messages, newest first."""

    serializer_class = s.MessageSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.messages_of(0).none()
        return selectors.messages_of(self.request.user.id)


def preferences_body(pref) -> dict:
    return {"email": pref.email, "sms": pref.sms, "push": pref.push, "categories": preferences.categories_of(pref)}


class PreferencesView(APIView):
    """Channels and categories for non-essential messages (essential ones always go by email)."""

    @extend_schema(responses=s.PreferencesSerializer)
    def get(self, request):
        return Response(preferences_body(preferences.get(request.user.id)))

    @extend_schema(request=s.PreferencesSerializer, responses=s.PreferencesSerializer)
    def put(self, request):
        data = s.PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(preferences_body(preferences.update(request.user.id, **data.validated_data)))


class PushSubscriptionListView(APIView):
    @extend_schema(responses=s.PushSubscriptionSerializer(many=True))
    def get(self, request):
        subs = selectors.push_subscriptions_of(request.user.id)
        return Response(s.PushSubscriptionSerializer(subs, many=True).data)

    @extend_schema(request=s.PushSubscriptionSerializer, responses={201: s.PushSubscriptionSerializer})
    def post(self, request):
        data = s.PushSubscriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sub, created = push.register(
            request.user.id,
            endpoint=data.validated_data["endpoint"],
            p256dh=data.validated_data["keys"]["p256dh"],
            auth=data.validated_data["keys"]["auth"],
            user_agent=request.headers.get("User-Agent", ""),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.PushSubscriptionSerializer(sub).data, status=code)


class PushSubscriptionDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        sub = selectors.push_subscriptions_of(request.user.id).filter(pk=pk).first()
        if sub is None:
            raise NotFound("No such push subscription.")
        push.unregister(sub)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushKeyView(APIView):
    """The VAPID public key browsers subscribe with; `enabled: false` while Web Push is not
    configured (a client then simply offers no push)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=s.PushKeySerializer)
    def get(self, request):
        key = public_key(settings.WEBPUSH["VAPID_PRIVATE_KEY"]) or None
        return Response({"enabled": key is not None, "public_key": key})


class NotifyMeView(APIView):
    """Tell me when this variant is back in stock. 201 (200 if already waiting); 404 for an
    unknown product or a SKU not of this product; 409 while the variant is in stock."""

    @extend_schema(
        request=s.NotifyMeSerializer,
        responses={201: s.BackInStockRequestSerializer, 200: s.BackInStockRequestSerializer, **errors(409)},
    )
    def post(self, request, pk):
        data = s.NotifyMeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            wish, created = back_in_stock.request(request.user.id, pk, data.validated_data["sku"])
        except back_in_stock.UnknownVariant:
            raise NotFound("No such product variant.") from None
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.BackInStockRequestSerializer(wish).data, status=code)
