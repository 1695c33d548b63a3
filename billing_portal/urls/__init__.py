"""The site's URLs, one module per namespace in this package: the top of the layers
(docs/architecture.md), the only place that may import views from every app, so that a
page can live in the layer its services allow while its URL keeps its name."""

from django.contrib import admin
from django.urls import include, path

from resellers.views.home import home
from core.health import healthz
from billing.views.release import AdminReleaseView

urlpatterns = [
    # Each role's dashboard (anonymous: the login page).
    path("", home, name="home"),
    # The load balancer's probe; core.health.HealthCheckMiddleware answers it first.
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("billing_portal.urls.accounts")),
    # Change password, forgot password, a reset link sent by an admin or a reseller.
    path("accounts/password/", include("billing_portal.urls.passwords")),
    # Two-factor login: the code after the password, enrolment, recovery codes.
    path("accounts/two-factor/", include("billing_portal.urls.two_factor")),
    # In-app notices and each account's notice settings.
    path("notices/", include("billing_portal.urls.notices")),
    # The audit trail (/audit/, a DID's and an account's) and "log in as" (full paths inside).
    path("", include("billing_portal.urls.audit")),
    path("dids/<int:pk>/release/", AdminReleaseView.as_view(), name="admin_release"),
    path("dids/", include("billing_portal.urls.dids")),
    path("portal/customers/", include("billing_portal.urls.customers")),
    path("portal/", include("billing_portal.urls.resellers")),
    # The softswitch's routing lookups (token auth) and the admin's switch tokens.
    path("routing/", include("billing_portal.urls.routing")),
    # Statements and the admin's money pages of an account (full paths inside).
    path("", include("billing_portal.urls.billing")),
    # Inbound calls: CDR imports, every call (admin), an account's calls (full paths inside).
    path("", include("billing_portal.urls.calls")),
    # The REST API (token auth, docs/api.md) and every login's API tokens page.
    path("api/", include("billing_portal.urls.api")),
    path("api-tokens/", include("billing_portal.urls.api_tokens")),
    # Every login's Webhooks page: endpoints, deliveries, re-send (webhooks/).
    path("webhooks/", include("billing_portal.urls.webhooks")),
    # Django's own admin, kept for the operator's low-level fixes.
    path("django-admin/", admin.site.urls),
]
