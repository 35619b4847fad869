from django.urls import path

from . import views

urlpatterns = [
    path("inventory/receipts/", views.ReceiptView.as_view(), name="inventory-receipts"),
    path("inventory/adjustments/", views.AdjustmentView.as_view(), name="inventory-adjustments"),
    path("inventory/stock/", views.StockListView.as_view(), name="inventory-stock"),
]
