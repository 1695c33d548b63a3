"""The two-factor pages (/accounts/two-factor/): status, set-up, recovery codes, turning it
off, and the code step of a login. The rules are in accounts/two_factor.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render, resolve_url
from django.views.generic import TemplateView, View
from django_otp import login as otp_login

from accounts import two_factor
from accounts.forms_two_factor import AuthenticationCodeForm, EnrolmentCodeForm, PasswordConfirmForm
from accounts.views import lockout_response
from audit.context import login_as_admin

# The recovery codes just made, until the page that shows them once has read them.
NEW_CODES_SESSION_KEY = "two_factor_new_codes"
STATUS_TEMPLATE = "accounts/two_factor/status.html"


def _status_context(request, **forms) -> dict:
    user = request.user
    device = two_factor.app_device(user)
    return {
        "title": "Two-factor login",
        "enabled": device is not None,
        "device": device,
        "codes_left": two_factor.recovery_codes_left(user) if device else 0,
        "recovery_code_count": two_factor.RECOVERY_CODE_COUNT,
        "required": settings.REQUIRE_2FA_FOR_ADMINS and user.is_portal_admin,
        "logged_in_as": login_as_admin(request) is not None,  # someone viewing as this login
        "regenerate_form": forms.get("regenerate_form") or PasswordConfirmForm(user, prefix="regenerate"),
        "disable_form": forms.get("disable_form") or PasswordConfirmForm(user, prefix="disable"),
    }


class TwoFactorStatusView(LoginRequiredMixin, TemplateView):
    template_name = STATUS_TEMPLATE

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_status_context(self.request)}


class OwnLoginRequiredMixin(LoginRequiredMixin):
    """Changes to a user's second factor are the user's own: not in a "log in as" session (the
    admin or reseller behind it could enrol a phone of its own, or read the recovery codes)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and login_as_admin(request) is not None:
            messages.error(request, "Only the account's own user can change its two-factor login, "
                                    "not someone who logged in as the account.")
            return redirect("two_factor:status")
        return super().dispatch(request, *args, **kwargs)


class StartEnrolmentView(OwnLoginRequiredMixin, View):
    """POST only: a new secret for the authenticator app, then the set-up page shows it."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            two_factor.start_enrolment(request.user)
        except two_factor.TwoFactorError as error:
            messages.info(request, str(error))
            return redirect("two_factor:status")
        return redirect("two_factor:setup")


class ConfirmEnrolmentView(OwnLoginRequiredMixin, View):
    """The QR code and the secret as text; the app's first code turns two-factor login on."""

    template_name = "accounts/two_factor/setup.html"

    def get(self, request):
        return self._page(request, EnrolmentCodeForm())

    def post(self, request):
        form = EnrolmentCodeForm(request.POST)
        if form.is_valid():
            try:
                codes = two_factor.confirm_enrolment(request.user, form.cleaned_data["code"])
            except two_factor.TwoFactorError as error:
                if error.field is None:
                    messages.error(request, str(error))
                    return redirect("two_factor:status")
                form.add_error(error.field, str(error))
            else:
                otp_login(request, two_factor.app_device(request.user))  # this session passed its second factor
                request.session[NEW_CODES_SESSION_KEY] = codes
                messages.success(request, "Two-factor login is on. From now on, a login asks for a code "
                                          "from your authenticator app after the password.")
                return redirect("two_factor:recovery_codes")
        return self._page(request, form)

    def _page(self, request, form):
        device = two_factor.pending_app_device(request.user)
        if device is None:
            if two_factor.is_enabled(request.user):
                messages.info(request, "Two-factor login is already on.")
            return redirect("two_factor:status")
        return render(request, self.template_name, {
            "title": "Set up two-factor login",
            "form": form,
            "qr": two_factor.qr_code(device),
            "secret": two_factor.secret_text(device),
            "issuer": settings.OTP_TOTP_ISSUER,
        })


class RecoveryCodesView(LoginRequiredMixin, View):
    """The recovery codes just made, shown once: reading them removes them from the session."""

    def get(self, request):
        codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
        if not codes:
            messages.info(request, "Recovery codes are shown only once, when they are made. "
                                   "If you lost yours, make new ones here.")
            return redirect("two_factor:status")
        return render(request, "accounts/two_factor/recovery_codes.html",
                      {"title": "Your recovery codes", "codes": codes})


class _PasswordConfirmedView(OwnLoginRequiredMixin, View):
    """POST only, with the user's password; a wrong one shows the status page with the error."""

    http_method_names = ["post"]
    prefix = ""

    def post(self, request):
        if not two_factor.is_enabled(request.user):
            messages.info(request, "Two-factor login is off.")
            return redirect("two_factor:status")
        form = PasswordConfirmForm(request.user, request.POST, prefix=self.prefix)
        if not form.is_valid():
            context = _status_context(request, **{f"{self.prefix}_form": form})
            return render(request, STATUS_TEMPLATE, context)
        return self.confirmed(request)


class RegenerateRecoveryCodesView(_PasswordConfirmedView):
    prefix = "regenerate"

    def confirmed(self, request):
        request.session[NEW_CODES_SESSION_KEY] = two_factor.regenerate_recovery_codes(request.user)
        messages.success(request, "New recovery codes: the old ones no longer work.")
        return redirect("two_factor:recovery_codes")


class DisableTwoFactorView(_PasswordConfirmedView):
    prefix = "disable"

    def confirmed(self, request):
        two_factor.disable(request.user)
        two_factor.clear_code_due(request.session)
        if settings.REQUIRE_2FA_FOR_ADMINS and request.user.is_portal_admin:
            messages.warning(request, "Two-factor login is off. Admins must use it: set it up again "
                                      "(with your new phone, for example) before using the portal.")
        else:
            messages.success(request, "Two-factor login is off: a login asks for your password only.")
        return redirect("two_factor:status")


class VerifyCodeView(View):
    """The code step. Either a login waiting for its code after the right password (the
    session's pending login), or a logged-in user with two-factor on whose session has not
    passed it yet: an admin required to use it, or a login through Django's admin's own login
    page (sent here by accounts.middleware_two_factor)."""

    template_name = "accounts/two_factor/verify.html"

    def dispatch(self, request, *args, **kwargs):
        self.pending = None
        if request.user.is_authenticated:
            if request.user.is_verified() or not two_factor.is_enabled(request.user):
                two_factor.clear_code_due(request.session)  # turned off meanwhile (in another session)
                return redirect("home")
            self.user = request.user
        else:
            self.pending = two_factor.pending_login(request.session)
            if self.pending is None or self.pending.expired:
                if self.pending is not None:
                    messages.error(request, "The login took too long: enter your username and password again.")
                return redirect("login")
            self.user = self.pending.user
        if two_factor.is_locked_out(request, self.user.get_username()):
            return self._locked_out(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self._page(request, AuthenticationCodeForm())

    def post(self, request):
        form = AuthenticationCodeForm(request.POST)
        if not form.is_valid():
            return self._page(request, form)
        check = two_factor.check_code(self.user, form.cleaned_data["code"])
        if check.accepted:
            return self._passed(request, check)
        if not check.throttled and two_factor.count_failed_code(request, self.user.get_username()):
            return self._locked_out(request)
        form.add_error("code", check.message)
        return self._page(request, form)

    def _passed(self, request, check):
        next_url = resolve_url(settings.LOGIN_REDIRECT_URL)
        if self.pending is not None:
            next_url = self.pending.next_url or next_url
            two_factor.end_pending_login(request.session)
            login(request, self.user, backend=self.pending.backend)  # a new session key
        otp_login(request, check.device)
        if check.recovery_code:
            left = two_factor.recovery_codes_left(self.user)
            messages.warning(request, f"You used a recovery code; {left} left. Each works once: "
                                      "make new ones on the Two-factor page if you are running out.")
        return redirect(next_url)

    def _locked_out(self, request):
        """The (username, address) pair is locked out: no code is tried, the login starts over."""
        username = self.user.get_username()
        if self.pending is not None:
            two_factor.end_pending_login(request.session)
        else:
            logout(request)
        return lockout_response(request, credentials={"username": username})

    def _page(self, request, form):
        return render(request, self.template_name, {
            "title": "Two-factor login", "form": form, "step_up": self.pending is None,
            "minutes": two_factor.PENDING_LOGIN_SECONDS // 60,
        })
