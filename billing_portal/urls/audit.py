"""The audit pages and "log in as"; included at the site root (full paths here)."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.AuditListView.as_view(), name="list"),
    path("dids/<int:pk>/audit/", views.DIDAuditView.as_view(), name="did"),
    path("accounts/manage/<int:pk>/audit/", views.AccountAuditView.as_view(), name="account"),
    path("accounts/manage/<int:pk>/login-as/", views.LoginAsView.as_view(), name="login_as"),
    path("accounts/return/", views.ReturnFromLoginAsView.as_view(), name="return"),
]
