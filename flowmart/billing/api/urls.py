"""Billing's paths. `orders/{id}/invoice/` sits under orders/ (API.md) but is billing's: orders'
own patterns end at `orders/{id}/` and its named actions, so none of them takes it."""

from django.urls import path

from . import views

urlpatterns = [
    path("orders/<str:order_id>/invoice/", views.OrderInvoiceView.as_view(), name="billing-order-invoice"),
    path("guest-orders/<str:token>/invoice/", views.GuestInvoiceView.as_view(), name="billing-guest-invoice"),
    path("invoices/", views.DocumentsView.as_view(), name="billing-documents"),
    path("invoices/<str:number>/pdf/", views.DocumentPdfView.as_view(), name="billing-document-pdf"),
]
