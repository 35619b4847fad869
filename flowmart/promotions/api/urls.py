from django.urls import path

from . import sales

urlpatterns = [
    path("deals/", sales.DealListView.as_view(), name="deal-list"),
    path("sales/", sales.SaleListView.as_view(), name="sale-list"),
]
