"""Change password, "Forgot password?" (Django's reset views) and the reset link an admin or a
reseller sends to an account below it. Namespace "passwords", under /accounts/password/."""

from django.urls import path

from accounts import views_password

app_name = "passwords"

urlpatterns = [
    path("change/", views_password.ChangePasswordView.as_view(), name="change"),
    path("reset/", views_password.ForgotPasswordView.as_view(), name="reset"),
    path("reset/sent/", views_password.ResetLinkSentView.as_view(), name="reset_done"),
    path("reset/<uidb64>/<token>/", views_password.NewPasswordView.as_view(), name="reset_confirm"),
    path("reset/done/", views_password.NewPasswordSavedView.as_view(), name="reset_complete"),
    path("send/<str:number>/", views_password.SendResetLinkView.as_view(), name="send_reset"),
]
