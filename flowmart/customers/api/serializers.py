from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from flowmart.common.countries import is_country_code
from flowmart.contracts.common import validate_region

from .. import selectors
from ..models import Address, User, validate_phone
from ..services import EMAIL_TAKEN


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        if selectors.email_taken(value):
            raise serializers.ValidationError(EMAIL_TAKEN)
        return value

    def validate(self, attrs):
        # The similarity validator compares the password with the would-be user's own details.
        candidate = User(email=attrs["email"], first_name=attrs["first_name"], last_name=attrs["last_name"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class RegisteredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    token = serializers.CharField()


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ProfileSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text='Mobile number for SMS in international (E.164) form, e.g. "+15555550100"; "" removes it.',
    )

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "phone", "locale", "date_joined"]
        read_only_fields = ["id", "email", "date_joined"]
        extra_kwargs = {"locale": {"help_text": "Language of the messages we send you."}}

    def validate_phone(self, value: str) -> str:
        value = "".join(value.split())  # "+1 555 555 0100" is the same number
        if value:
            try:
                validate_phone(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(list(exc.messages)) from None
        return value


@extend_schema_serializer(component_name="CustomerAddress")
class AddressSerializer(serializers.ModelSerializer):
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. US")

    class Meta:
        model = Address
        fields = ["id", "name", "line1", "line2", "city", "postal_code", "country", "phone", "region"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "region": {"max_length": 6, "help_text": "state or province where tax differs (ISO 3166-2 part, e.g. CA)"}
        }

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        if not is_country_code(value):
            raise serializers.ValidationError("Not an ISO 3166-1 alpha-2 country code.")
        return value

    def validate_region(self, value: str) -> str:
        return validate_region(value)


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token of the emailed link.")
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class EmailChangeSerializer(serializers.Serializer):
    new_email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, max_length=128, help_text="The current password."
    )


class EmailChangeConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token of the link mailed to the new address.")


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ErasureSerializer(serializers.Serializer):
    """`DELETE /api/v1/me/`: step one sends `password`, step two `confirmation` (or ?confirm=)."""

    password = serializers.CharField(required=False, allow_blank=True, write_only=True, max_length=200)
    confirmation = serializers.CharField(required=False, allow_blank=True, max_length=100)
    confirm = serializers.CharField(required=False, allow_blank=True, max_length=100)

    def validate(self, attrs):
        if not (attrs.get("password") or attrs.get("confirmation") or attrs.get("confirm")):
            raise serializers.ValidationError(
                {"password": ["Give your current password to ask for erasure, or the confirmation you were given."]}
            )
        return attrs


class ErasureConfirmationSerializer(serializers.Serializer):
    confirmation = serializers.CharField()
    expires_at = serializers.DateTimeField()
    detail = serializers.CharField()
