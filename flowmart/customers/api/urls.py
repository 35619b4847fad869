from django.urls import path

from . import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("me/", views.ProfileView.as_view(), name="me"),
    path("me/addresses/", views.AddressListView.as_view(), name="address-list"),
    path("me/addresses/<int:pk>/", views.AddressDetailView.as_view(), name="address-detail"),
]
