from django.urls import path

from . import views

urlpatterns = [
    path("products/trending/", views.TrendingView.as_view(), name="products-trending"),
    path(
        "products/<int:product_id>/recommendations/", views.BoughtTogetherView.as_view(), name="product-recommendations"
    ),
]
