from django.contrib.auth.views import LogoutView
from django.urls import include, path

from accounts import views_admin, views_security
from accounts.views import PortalLoginView

# The admin's account management, namespace "manage". The money pages of one account
# (/accounts/manage/<pk>/, add-funds/, adjust/, statement/) are in billing.py beside this module.
manage_patterns = [
    path("", views_admin.AccountListView.as_view(), name="list"),
    path("create/", views_admin.AccountCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views_admin.AccountEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views_admin.AccountStatusView.as_view(), name="status"),
]

urlpatterns = [
    path("login/", PortalLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),  # POST only (Django 5)
    path("security/", views_security.LoginSecurityView.as_view(), name="login_security"),
    path("security/unlock/", views_security.UnlockView.as_view(), name="login_unlock"),
    path("manage/", include((manage_patterns, "manage"))),
]
