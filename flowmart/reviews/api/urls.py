from django.urls import path

from . import views

urlpatterns = [
    path("products/<int:product_id>/reviews/", views.ProductReviewsView.as_view(), name="product-reviews"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review-detail"),
    path("reviews/<int:pk>/report/", views.ReportReviewView.as_view(), name="review-report"),
    path("reviews/<int:pk>/reply/", views.ReplyView.as_view(), name="review-reply"),
]
