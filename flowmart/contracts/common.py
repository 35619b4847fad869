"""Value objects shared by several contracts, and the request shape of an address that
customers send to checkout and to subscriptions."""

from rest_framework import serializers

from flowmart.common.countries import is_country_code
from flowmart.events.base import value


@value
class Address:
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    phone: str
    # The subdivision whose tax rates apply where they differ within a country (a US state, a
    # Canadian province): the ISO 3166-2 code's part after the country, e.g. "CA", "ON". "": none.
    region: str = ""


@value
class SkuQuantity:
    sku: str
    quantity: int


def validate_country(code: str) -> str:
    code = (code or "").strip().upper()
    if not is_country_code(code):
        raise serializers.ValidationError("Not an ISO 3166-1 alpha-2 country code.")
    return code


def validate_region(code: str) -> str:
    """A subdivision code as sent ("ca", "US-CA" or "CA" all give "CA"); "" for none."""
    code = (code or "").strip().upper()
    if "-" in code:
        code = code.split("-", 1)[1]
    if code and not (code.isalnum() and len(code) <= 3):
        raise serializers.ValidationError("Not an ISO 3166-2 subdivision code (e.g. CA for California).")
    return code


class AddressSerializer(serializers.Serializer):
    """An `Address` as a client sends it (checkout, subscriptions): one set of checks."""

    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=2)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    region = serializers.CharField(
        max_length=6,
        required=False,
        allow_blank=True,
        default="",
        help_text="state or province where tax differs within the country (ISO 3166-2 part, e.g. CA, ON)",
    )

    def validate_country(self, code):
        return validate_country(code)

    def validate_region(self, code):
        return validate_region(code)


def address_lines(address: dict) -> list[str]:
    """An address dict (Address fields) as the lines printed on a label or an invoice."""
    if not address:
        return []
    city = " ".join(part for part in (address.get("postal_code", ""), address.get("city", "")) if part)
    lines = [address.get("name", ""), address.get("line1", ""), address.get("line2", ""), city]
    lines.append(address.get("country", ""))
    return [line for line in lines if line]
