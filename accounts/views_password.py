"""Password pages: Change password, the "Forgot password?" pages (Django's reset views, with the
portal's service underneath), and the button that sends a reset link to an account below."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts.forms_password import ChangePasswordForm, NewPasswordForm
from accounts.passwords import (
    PasswordError, accounts_below, change_password, may_reset, request_reset, reset_password, send_reset_link,
)
from accounts.security import client_ip
from audit.context import login_as_admin


class ChangePasswordView(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm
    template_name = "accounts/password/change.html"
    success_url = reverse_lazy("home")
    title = "Change password"

    def dispatch(self, request, *args, **kwargs):
        # An admin seeing the portal as an account's login must not take that login over.
        if request.user.is_authenticated and login_as_admin(request) is not None:
            return render(request, "accounts/password/login_as_refused.html", status=403)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        change_password(user=form.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)  # this session stays logged in
        messages.success(self.request, "Your password was changed. Any other session of yours has been logged out.")
        return HttpResponseRedirect(self.get_success_url())


class _NotLoggedIn:
    """The "Forgot password?" pages are for people who cannot log in: a logged-in user is sent
    to Change password (the login page's rule)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("passwords:change")
        return super().dispatch(request, *args, **kwargs)


class ForgotPasswordView(_NotLoggedIn, auth_views.PasswordResetView):
    template_name = "accounts/password/reset_form.html"
    success_url = reverse_lazy("passwords:reset_done")
    title = "Forgot password"

    def form_valid(self, form):
        # The same answer whether the address is known, unknown or over the rate limit.
        request_reset(email=form.cleaned_data["email"], client_ip=client_ip(self.request))
        return HttpResponseRedirect(self.get_success_url())


class ResetLinkSentView(_NotLoggedIn, auth_views.PasswordResetDoneView):
    template_name = "accounts/password/reset_done.html"
    title = "Check your e-mail"


class NewPasswordView(_NotLoggedIn, auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password/reset_confirm.html"
    success_url = reverse_lazy("passwords:reset_complete")
    title = "Choose a new password"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A link sent before the account was suspended no longer works.
        return user if user is not None and may_reset(user) else None

    def form_valid(self, form):
        reset_password(user=form.user, new_password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class NewPasswordSavedView(_NotLoggedIn, auth_views.PasswordResetCompleteView):
    template_name = "accounts/password/reset_complete.html"
    title = "Password changed"


class SendResetLinkView(View):
    """POST only: e-mail the login of an account a reset link. An admin: any account; a reseller:
    the accounts directly below it (any other number: 404); a customer: 403."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return auth_views.redirect_to_login(request.get_full_path())
        if not (user.is_portal_admin or (user.account_id is not None and user.account.is_reseller)):
            raise PermissionDenied("Only an admin or a reseller can send a password reset link.")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, number):
        account = get_object_or_404(accounts_below(request.user), number=number)
        try:
            email = send_reset_link(account=account)
        except PasswordError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"A password reset link was sent to {email}.")
        return HttpResponseRedirect(self._back_to(account))

    def _back_to(self, account) -> str:
        target = self.request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()},
                                           require_https=self.request.is_secure()):
            return target
        if self.request.user.is_portal_admin:
            return reverse("billing:account", args=[account.pk])
        return reverse("customers:detail", args=[account.number])  # the reseller's page of that account
