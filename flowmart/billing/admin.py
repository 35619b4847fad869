"""Invoices and credit notes in the admin. Operations see every document and download its PDF;
a seller's staff see only the documents holding their sellers' lines, only those lines and
their amounts, and the PDF only of a document that holds nothing but their lines. Nothing is
ever added, changed or deleted here: a correction is a credit note, issued from a refund.
A document's page and its PDF show the buyer's email and address: opening either is recorded
as staff access to the customer's personal data (docs/privacy.md)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, Sum
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html

from flowmart.common import privacy, roles
from flowmart.common.admin import PersonalDataAccessMixin, ReadOnlyAdmin, ReadOnlyInline, SellerScopedMixin

from . import pdf, selectors
from .display import format_money
from .models import BilledOrder, CreditNote, DocumentLine, Invoice, SellerStaff
from .services import rendering

MONEY_FIELDS = ["subtotal", "discount", "tax", "total"]


class DocumentLineInline(ReadOnlyInline):
    model = DocumentLine
    fields = ["position", "sku", "name", "seller_id", "quantity", "unit", "line_discount", "line_tax", "line_total"]
    readonly_fields = fields

    def get_queryset(self, request):
        lines = super().get_queryset(request).select_related("document")
        if roles.is_seller_staff(request.user):
            lines = lines.filter(seller_id__in=SellerStaff.sellers_of(request.user))
        return lines

    def _money(self, line, field):
        return format_money(getattr(line, field), line.document.currency)

    @admin.display(description="unit price")
    def unit(self, line):
        return self._money(line, "unit_price")

    @admin.display(description="discount")
    def line_discount(self, line):
        return self._money(line, "discount")

    @admin.display(description="tax")
    def line_tax(self, line):
        return self._money(line, "tax")

    @admin.display(description="total")
    def line_total(self, line):
        return self._money(line, "total")


class DocumentAdmin(PersonalDataAccessMixin, SellerScopedMixin, ReadOnlyAdmin):
    personal_data_context = "billing"
    list_display = ["number", "order_number", "buyer_email", "issued_at", "amount", "pdf_link"]
    list_filter = ["series", ("issued_at", admin.DateFieldListFilter)]
    search_fields = ["number", "order_number", "=order_id", "buyer_email"]
    date_hierarchy = "issued_at"
    inlines = [DocumentLineInline]
    ordering = ["-issued_at", "-number"]
    shared_fields = ["number", "series", "order_id", "order_number", "issued_at", "currency", "buyer_email"]

    def personal_data_customer(self, document) -> int | None:
        """The order's customer as billing knows it (None: a guest's, nobody to record)."""
        return BilledOrder.objects.filter(order_id=document.order_id).values_list("customer_id", flat=True).first()

    def get_queryset(self, request):
        documents = super().get_queryset(request)
        if roles.is_seller_staff(request.user):
            theirs = Q(lines__seller_id__in=SellerStaff.sellers_of(request.user))
            return documents.annotate(shown_total=Sum("lines__total", filter=theirs))
        return documents.annotate(shown_total=F("total"))

    def scope_for_seller(self, request, queryset):
        return selectors.documents_for_seller(request.user, queryset)

    def get_fields(self, request, obj=None):
        if roles.is_seller_staff(request.user):  # the totals hold other sellers' lines
            return [*self.shared_fields, "buyer_address", "amount"]
        return [*self.shared_fields, "buyer_address", *self.extra_fields, "totals", "pdf_link"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="amount", ordering="shown_total")
    def amount(self, obj):
        return format_money(obj.shown_total or 0, obj.currency)

    @admin.display(description="totals")
    def totals(self, obj):
        return " · ".join(f"{name} {format_money(getattr(obj, name), obj.currency)}" for name in MONEY_FIELDS)

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        url = reverse(f"admin:billing_{self.model._meta.model_name}_pdf", args=[obj.pk])
        return format_html('<a href="{}">PDF</a>', url)

    def get_urls(self):
        name = f"billing_{self.model._meta.model_name}_pdf"
        view = self.admin_site.admin_view(self.pdf_view)
        return [path("<path:object_id>/pdf/", view, name=name), *super().get_urls()]

    def pdf_view(self, request, object_id):
        """The PDF (drawn on first download, then stored). A seller's staff get it only when every
        line is their sellers'."""
        document = self.get_object(request, object_id)
        if document is None or not self.has_view_permission(request, document):
            raise Http404("No such document.")
        others = document.lines.exclude(seller_id__in=SellerStaff.sellers_of(request.user))
        if roles.is_seller_staff(request.user) and others.exists():
            raise PermissionDenied("This document also holds other sellers' lines; operations hand it out.")
        customer_id = self.personal_data_customer(document)
        if customer_id is not None:
            privacy.record_staff_access(
                staff=request.user,
                customer_id=customer_id,
                context="billing",
                what=f"{self.personal_data_what} PDF",
                object_ref=f"{self.opts.model_name} {document.pk}",
            )
        return pdf.download(rendering.stored_pdf(document))


@admin.register(Invoice)
class InvoiceAdmin(DocumentAdmin):
    personal_data_what = "invoice"
    extra_fields = ["reference"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind="invoice")


@admin.register(CreditNote)
class CreditNoteAdmin(DocumentAdmin):
    personal_data_what = "credit note"
    list_display = ["number", "credited_invoice", *DocumentAdmin.list_display[1:]]
    list_filter = [*DocumentAdmin.list_filter, "reason"]
    search_fields = [*DocumentAdmin.search_fields, "credits__number"]
    extra_fields = ["credited_invoice", "reason", "reference"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind="credit_note").select_related("credits")

    @admin.display(description="credits", ordering="credits__number")
    def credited_invoice(self, obj):
        return obj.credits.number
