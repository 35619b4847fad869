from django.urls import path

from . import unsubscribe, views

urlpatterns = [
    path("notifications/", views.MessageListView.as_view(), name="notification-list"),
    path("notifications/push-key/", views.PushKeyView.as_view(), name="notification-push-key"),
    path("notifications/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="notifications-unsubscribe"),
    path("me/notification-preferences/", views.PreferencesView.as_view(), name="notification-preferences"),
    path("me/push-subscriptions/", views.PushSubscriptionListView.as_view(), name="push-subscription-list"),
    path("me/push-subscriptions/<int:pk>/", views.PushSubscriptionDetailView.as_view(), name="push-subscription"),
    path("products/<int:pk>/notify-me/", views.NotifyMeView.as_view(), name="product-notify-me"),
]
