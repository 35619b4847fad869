from django.urls import path

from . import views

urlpatterns = [
    path("subscription-plans/", views.PlansView.as_view(), name="subscription-plans"),
    path("subscriptions/", views.SubscriptionsView.as_view(), name="subscription-list"),
    path("subscriptions/<int:subscription_id>/", views.SubscriptionView.as_view(), name="subscription"),
    path("subscriptions/<int:subscription_id>/pause/", views.PauseView.as_view(), name="subscription-pause"),
    path("subscriptions/<int:subscription_id>/resume/", views.ResumeView.as_view(), name="subscription-resume"),
    path("subscriptions/<int:subscription_id>/skip/", views.SkipView.as_view(), name="subscription-skip"),
    path("subscriptions/<int:subscription_id>/ship-now/", views.ShipNowView.as_view(), name="subscription-ship-now"),
    path("subscriptions/<int:subscription_id>/cancel/", views.CancelView.as_view(), name="subscription-cancel"),
]
