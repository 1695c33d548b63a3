"""Two-factor login (/accounts/two-factor/), namespace "two_factor": the status page, setting
up an authenticator app, recovery codes, turning it off, and the code step of a login."""

from django.urls import path

from accounts import views_two_factor as views

app_name = "two_factor"

urlpatterns = [
    path("", views.TwoFactorStatusView.as_view(), name="status"),
    path("start/", views.StartEnrolmentView.as_view(), name="start"),
    path("setup/", views.ConfirmEnrolmentView.as_view(), name="setup"),
    path("recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("recovery-codes/new/", views.RegenerateRecoveryCodesView.as_view(), name="regenerate"),
    path("disable/", views.DisableTwoFactorView.as_view(), name="disable"),
    path("verify/", views.VerifyCodeView.as_view(), name="verify"),
]
