from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.schema import errors
from flowmart.common.throttling import account_attempt

from .. import selectors, services
from ..authentication import BearerTokenAuthentication
from ..models import Address
from .serializers import (
    AddressSerializer,
    ProfileSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from .throttles import AuthThrottle, RegisterThrottle

CART_TOKEN = "X-Cart-Token"  # a guest cart to hand over at login/registration (API.md)


class CredentialsView(APIView):
    """Login and registration ignore any Authorization header (an expired token must not
    stop anyone from logging in again), are throttled, and answer a failed login with 401."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]

    def get_authenticate_header(self, request):
        return BearerTokenAuthentication.keyword


class RegisterView(CredentialsView):
    """Create a customer account and hand back its first token."""

    throttle_classes = [AuthThrottle, RegisterThrottle]

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredSerializer})
    def post(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, token = services.register_customer(**data.validated_data)
        services.hand_over_guest_cart(user.id, request.headers.get(CART_TOKEN, ""))
        return Response({"id": user.id, "email": user.email, "token": token}, status=status.HTTP_201_CREATED)


class TokenView(CredentialsView):
    """Log in: email + password → a new Bearer token. Limited per client address (every
    attempt) and per account (failed attempts, wherever they come from)."""

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer, **errors(401)})
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with account_attempt(data.validated_data["email"]):
            token = services.issue_token(request, **data.validated_data, cart_token=request.headers.get(CART_TOKEN, ""))
        return Response({"token": token})


class LogoutView(APIView):
    """Revoke the token this request was made with."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.revoke_token(request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileView(generics.RetrieveUpdateAPIView):
    serializer_class = ProfileSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        services.update_profile(self.request.user, **serializer.validated_data)


class AddressListView(generics.ListCreateAPIView):
    serializer_class = AddressSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no customer
            return Address.objects.none()
        return selectors.addresses_of(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.add_address(self.request.user, **serializer.validated_data)


class AddressDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = AddressSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no customer
            return Address.objects.none()
        return selectors.addresses_of(self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.update_address(serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_address(instance)
