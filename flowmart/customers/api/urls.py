from django.urls import path

from . import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path("auth/password-reset/confirm/", views.PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
    path("me/password/", views.PasswordChangeView.as_view(), name="me-password"),
    path("me/email/", views.EmailChangeView.as_view(), name="me-email"),
    path("me/email/confirm/", views.EmailChangeConfirmView.as_view(), name="me-email-confirm"),
    path("me/", views.ProfileView.as_view(), name="me"),
    path("me/export/", views.ExportView.as_view(), name="me-export"),
    path("me/addresses/", views.AddressListView.as_view(), name="address-list"),
    path("me/addresses/<int:pk>/", views.AddressDetailView.as_view(), name="address-detail"),
]
