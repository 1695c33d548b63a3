from django.contrib import admin
from django.urls import include, path

from accounts.views import home
from core.health import healthz
from billing.views.release import AdminReleaseView

urlpatterns = [
    path("", home, name="home"),
    # The load balancer's probe; core.health.HealthCheckMiddleware answers it first.
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    # The audit trail (/audit/, a DID's and an account's) and "log in as" (full paths inside).
    path("", include("audit.urls")),
    path("dids/<int:pk>/release/", AdminReleaseView.as_view(), name="admin_release"),
    path("dids/", include("dids.urls")),
    path("portal/", include("resellers.urls")),
    # The softswitch's routing lookups (token auth) and the admin's switch tokens.
    path("routing/", include("routing.urls")),
    # Statements and the admin's money pages of an account (full paths inside).
    path("", include("billing.urls")),
    # Inbound calls: CDR imports, every call (admin), an account's calls (full paths inside).
    path("", include("calls.urls")),
    # Django's own admin, kept for the operator's low-level fixes.
    path("django-admin/", admin.site.urls),
]
