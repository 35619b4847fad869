"""Top-level routes. Each context app owns its `api/urls.py`; they all live under /api/v1/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from flowmart.common import health
from flowmart.common import views as common_views
from flowmart.common.throttling import limit_login

api_v1 = [
    path("", include("flowmart.customers.api.urls")),
    path("", include("flowmart.catalog.api.urls")),
    path("", include("flowmart.inventory.api.urls")),
    path("", include("flowmart.orders.api.urls")),
    path("", include("flowmart.payments.api.urls")),
    path("", include("flowmart.shipping.api.urls")),
    path("", include("flowmart.subscriptions.api.urls")),
    path("", include("flowmart.notifications.api.urls")),
    path("", include("flowmart.promotions.api.urls")),
    path("", include("flowmart.reviews.api.urls")),
    path("", include("flowmart.recommendations.api.urls")),
    path("", include("flowmart.billing.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # The dummy payment provider's 3-D Secure page (its own, not part of the API).
    path("dummy-provider/", include("flowmart.payments.dummy_page")),
    path("health/live/", health.live, name="health-live"),
    path("health/ready/", health.ReadyView.as_view(), name="health-ready"),
    path("", include("django_prometheus.urls")),
    # The admin's login, limited per client address and per account like the API's (before admin/ on purpose).
    path("admin/login/", limit_login(admin.site.login), name="admin-login"),
    path("admin/", admin.site.urls),
]

handler400 = common_views.bad_request
handler403 = common_views.permission_denied
handler404 = common_views.not_found
handler500 = common_views.server_error
