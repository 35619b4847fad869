"""Customers' invoices and credit notes: their own only (another customer's, an unpaid order's
or an unknown number is 404; no token is 401). A PDF is drawn on its first download and stored;
later downloads serve the stored file."""

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from .. import pdf, selectors
from ..services import rendering
from .serializers import DocumentSerializer

PDF = {(200, "application/pdf"): bytes}


def pdf_response(document) -> FileResponse:
    return pdf.download(rendering.stored_pdf(document))


class OrderInvoiceView(APIView):
    """The invoice of the caller's own order, once it is paid (API.md)."""

    @extend_schema(responses=PDF)
    def get(self, request, order_id):
        return pdf_response(selectors.invoice_of_order(request.user.id, order_id))


class DocumentsView(generics.ListAPIView):
    """The caller's invoices and credit notes, newest first."""

    serializer_class = DocumentSerializer

    def get_queryset(self):
        return selectors.documents_of(self.request.user.id)


class DocumentPdfView(APIView):
    """One of the caller's invoices or credit notes as PDF, by its number."""

    @extend_schema(responses=PDF)
    def get(self, request, number):
        return pdf_response(selectors.document_of(request.user.id, number))


class GuestInvoiceView(APIView):
    """A guest's invoice through the signed link of their order (the token is the credential)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PDF)
    def get(self, request, token):
        return pdf_response(selectors.guest_invoice(token))
