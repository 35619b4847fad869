from django.urls import reverse
from rest_framework import serializers

from flowmart.common.money import Money

from ..models import Document, DocumentLine


class MoneyField(serializers.Field):
    """`{"amount": "12.50", "currency": "USD"}` from an amount column and the document's currency."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(source="*", **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.column = field_name

    def to_representation(self, obj):
        currency = obj.currency if isinstance(obj, Document) else obj.document.currency
        return Money(getattr(obj, self.column), currency).to_dict()


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
    credits = serializers.SlugRelatedField(slug_field="number", read_only=True, help_text="the credited invoice")
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
