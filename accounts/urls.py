from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts.views import PortalLoginView

urlpatterns = [
    path("login/", PortalLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
]
