from django.urls import path

from . import views

urlpatterns = [
    path("payments/stripe/webhook/", views.stripe_webhook, name="payments-stripe-webhook"),
    path("payments/providers/", views.providers, name="payments-providers"),
    path("payments/return/", views.PaymentReturnView.as_view(), name="payments-return"),
]
