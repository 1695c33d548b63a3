"""Sessions that must pass the second factor before anything else.

- A user with two-factor login on, logged in without typing the code: the portal's own login
  never does that, but Django's admin has a login page of its own (accounts.two_factor marks
  every login of such a user). A "log in as" session is the admin's, who passed its own login,
  and is let through.
- With ``settings.REQUIRE_2FA_FOR_ADMINS``, every admin: without an authenticator app it is sent
  to set one up, with one to type its code. Resellers and customers are never forced.

Until then such a session (``request.user.is_verified()`` False, django-otp's OTPMiddleware)
reaches only the two-factor pages and Log out. Static files and /healthz are answered by earlier
middleware and never get here; they are let through all the same.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect

from accounts import two_factor
from audit.context import login_as_admin

ALWAYS_OPEN = {"logout", "healthz"}  # URL names an unverified session may use, beside the two-factor pages


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # process_view runs after every middleware's request part: MessageMiddleware's included.
        user = request.user
        if not user.is_authenticated:
            return None
        code_due = two_factor.code_due(request.session) and login_as_admin(request) is None
        admin_required = settings.REQUIRE_2FA_FOR_ADMINS and user.is_portal_admin
        if not (code_due or admin_required) or user.is_verified() or self._open(request):
            return None
        if code_due or two_factor.is_enabled(user):
            messages.info(request, "Type the code from your authenticator app to continue.")
            return redirect("two_factor:verify")
        messages.warning(request, "Admins must use two-factor login. Set up an authenticator app "
                                  "to continue: it takes a minute.")
        return redirect("two_factor:status")

    @staticmethod
    def _open(request) -> bool:
        match = request.resolver_match
        return match is None or match.namespace == "two_factor" or match.view_name in ALWAYS_OPEN \
            or request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/"))
