"""Test-only views that exercise the API conventions (flowmart.common) without
depending on any context's endpoints. The real routes are kept, so unknown URLs,
health, metrics and the schema behave as in production."""

from django.http import Http404
from django.urls import path
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from flowmart import urls as real
from flowmart.common import errors


class AddressSerializer(serializers.Serializer):
    country = serializers.CharField(min_length=2, max_length=2)


class LineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=10)
    quantity = serializers.IntegerField(min_value=1, max_value=100)
    address = AddressSerializer(required=False)


class OpenView(APIView):
    permission_classes = [AllowAny]


class Lines(OpenView):
    def post(self, request):
        serializer = LineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class Private(APIView):  # the project default: authenticated callers only
    def get(self, request):
        return Response({"email": request.user.email})


class TwoPerMinute(AnonRateThrottle):
    rate = "2/min"
    scope = "conventions-test"


class Throttled(OpenView):
    throttle_classes = [TwoPerMinute]

    def get(self, request):
        return Response({"ok": True})


class Crash(OpenView):
    def get(self, request):
        raise RuntimeError("db password is hunter2")


class Missing(OpenView):
    def get(self, request):
        raise Http404("secret lookup detail")


DOMAIN_ERRORS = {
    "conflict": lambda: errors.Conflict("The order has shipped."),
    "out_of_stock": lambda: errors.OutOfStock(),
    "idempotency_key_reused": lambda: errors.IdempotencyKeyReused(),
    "invalid": lambda: errors.InvalidRequest("Bad lines.", fields={"lines": ["empty"]}),
}


class DomainError(OpenView):
    def post(self, request, kind):
        raise DOMAIN_ERRORS[kind]()


class NumberSerializer(serializers.Serializer):
    def to_representation(self, instance):
        return {"n": instance}


class Numbers(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = NumberSerializer

    def get_queryset(self):
        return list(range(250))


def plain_crash(request):
    raise RuntimeError("plain Django view exploded with a secret")


urlpatterns = [
    path("api/v1/test/lines/", Lines.as_view()),
    path("api/v1/test/private/", Private.as_view()),
    path("api/v1/test/throttled/", Throttled.as_view()),
    path("api/v1/test/crash/", Crash.as_view()),
    path("api/v1/test/missing/", Missing.as_view()),
    path("api/v1/test/errors/<str:kind>/", DomainError.as_view()),
    path("api/v1/test/numbers/", Numbers.as_view()),
    path("test/plain-crash/", plain_crash),
    path("api/v1/test/plain-crash/", plain_crash),
    *real.urlpatterns,
]

handler400 = real.handler400
handler403 = real.handler403
handler404 = real.handler404
handler500 = real.handler500
