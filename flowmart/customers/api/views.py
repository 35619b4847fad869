from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.schema import errors
from flowmart.common.throttling import account_attempt, by_address, by_customer

from .. import privacy, recovery, selectors, services
from ..authentication import BearerTokenAuthentication
from ..models import Address
from .serializers import (
    AcceptedSerializer,
    AddressSerializer,
    EmailChangeConfirmSerializer,
    EmailChangeSerializer,
    ErasureConfirmationSerializer,
    ErasureSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
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


RESET_ACCEPTED = "If an account uses this address, a link to reset its password is on its way."


class PasswordResetView(CredentialsView):
    """Ask for a password-reset email. The answer is 202 whether or not the address has an
    account (no enumeration); limited per client address and, silently, per account."""

    throttle_classes = [by_address("password_reset")]

    @extend_schema(request=PasswordResetRequestSerializer, responses={202: AcceptedSerializer, **errors(429)})
    def post(self, request):
        data = PasswordResetRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.request_password_reset(data.validated_data["email"])
        return Response({"detail": RESET_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(CredentialsView):
    """Set a new password with the emailed token (single use, expiring). Every API token of the
    account is revoked: log in again with the new password."""

    throttle_classes = [by_address("password_reset")]

    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None, **errors(429)})
    def post(self, request):
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.confirm_password_reset(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """Change the password with the current one. Every token of the account is revoked (other
    devices are logged out) and a new one is returned for this client. Wrong current passwords
    count against the account like failed logins."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=PasswordChangeSerializer, responses={200: TokenSerializer, **errors(429)})
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = recovery.change_password(request.user, **data.validated_data)
        return Response({"token": token})


class EmailChangeView(APIView):
    """Ask to move the account to another email address (with the current password): a
    confirmation link goes to the new address; nothing changes until it is followed."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [by_customer("email_change")]

    @extend_schema(request=EmailChangeSerializer, responses={202: AcceptedSerializer, **errors(429)})
    def post(self, request):
        data = EmailChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.request_email_change(request.user, **data.validated_data)
        return Response(
            {"detail": f"A confirmation link was sent to {data.validated_data['new_email'].lower()}."},
            status=status.HTTP_202_ACCEPTED,
        )


class EmailChangeConfirmView(CredentialsView):
    """Confirm the new address with the token mailed to it (single use, expiring); the old
    address is told. Works without being logged in: the link may be opened on another device."""

    throttle_classes = [by_address("email_change")]

    @extend_schema(request=EmailChangeConfirmSerializer, responses={200: ProfileSerializer, **errors(409, 429)})
    def post(self, request):
        data = EmailChangeConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = recovery.confirm_email_change(**data.validated_data)
        return Response(ProfileSerializer(user).data)


class ProfileView(generics.RetrieveUpdateAPIView):
    """The profile; DELETE erases the account's personal data in two steps (docs/privacy.md):
    `{password}` → 202 with a confirmation token, then `{confirmation}` (or ?confirm=) → 204."""

    serializer_class = ProfileSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        services.update_profile(self.request.user, **serializer.validated_data)

    @extend_schema(
        request=ErasureSerializer, responses={202: ErasureConfirmationSerializer, 204: None, **errors(409, 429)}
    )
    def delete(self, request):
        data = ErasureSerializer(data={"confirm": request.query_params.get("confirm", ""), **request.data})
        data.is_valid(raise_exception=True)
        confirmation = data.validated_data.get("confirmation") or data.validated_data.get("confirm")
        if confirmation:
            privacy.confirm_erasure(request.user, confirmation=confirmation)
            return Response(status=status.HTTP_204_NO_CONTENT)
        token, raw = privacy.request_erasure(request.user, password=data.validated_data.get("password", ""))
        return Response(
            {"confirmation": raw, "expires_at": token.expires_at, "detail": ERASURE_ASKED},
            status=status.HTTP_202_ACCEPTED,
        )


ERASURE_ASKED = (
    "Send DELETE /api/v1/me/ again with this confirmation to erase your personal data. "
    "Orders and invoices are kept, anonymised, for accounting; the account cannot be used afterwards."
)


class ExportView(APIView):
    """All the caller's data, every context's part, as one JSON document (docs/privacy.md)."""

    throttle_classes = [by_customer("privacy_export")]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **errors(429)})
    def get(self, request):
        response = Response(privacy.full_export(request.user))
        response["Content-Disposition"] = 'attachment; filename="flowmart-export.json"'
        return response


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
