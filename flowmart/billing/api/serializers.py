from django.urls import reverse
from rest_framework import serializers

from flowmart.common.money import Money
from flowmart.common.serializers import MoneyField as SharedMoneyField
from flowmart.common.serializers import money_body

from ..models import Document, DocumentLine


class MoneyField(SharedMoneyField):
    """The shared `{"amount", "currency"}` (and its schema), read from an amount column of a
    document or line and the document's currency."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.column = field_name

    def to_representation(self, obj):
        currency = obj.currency if isinstance(obj, Document) else obj.document.currency
        return money_body(Money(getattr(obj, self.column), currency))


class DocumentLineSerializer(serializers.ModelSerializer):
    unit_price = MoneyField()
    discount = MoneyField()
    tax = MoneyField()
    total = MoneyField()

    class Meta:
        model = DocumentLine
        fields = ["sku", "name", "seller_id", "quantity", "unit_price", "discount", "tax", "total"]


class DocumentSerializer(serializers.ModelSerializer):
    subtotal = MoneyField()
    discount = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    credits = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="a credit note: the number of the invoice it credits",
    )
    lines = DocumentLineSerializer(many=True, read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "number", "kind", "series", "order_id", "order_number", "issued_at", "currency",
            "subtotal", "discount", "tax", "total", "credits", "reason", "lines", "pdf_url",
        ]  # fmt: skip

    def get_pdf_url(self, obj) -> str:
        return reverse("billing-document-pdf", kwargs={"number": obj.number})
