from django.contrib import admin
from django.urls import include, path

from accounts.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("dids/", include("dids.urls")),
    path("portal/", include("resellers.urls")),
    # Django's own admin, kept for the operator's low-level fixes.
    path("django-admin/", admin.site.urls),
]
