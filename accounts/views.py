from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render

from accounts import two_factor
from accounts.forms import PortalLoginForm
from accounts.security import cool_off_minutes


class PortalLoginView(LoginView):
    form_class = PortalLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        """The right password. With two-factor login on, the user is not logged in yet: the
        session keeps the pending login and the code step (accounts/views_two_factor.py) ends it."""
        user = form.get_user()
        if two_factor.is_enabled(user):
            two_factor.begin_pending_login(self.request.session, user, next_url=self.get_redirect_url())
            return redirect("two_factor:verify")
        return super().form_valid(form)


def lockout_response(request, response=None, credentials=None):
    """django-axes' answer (``AXES_LOCKOUT_CALLABLE``) once a (username, address) pair has
    failed too often: the login page again, saying why, as 429 Too Many Requests."""
    minutes = cool_off_minutes()
    # The login form posts the username; the code step (two-factor) passes it as credentials.
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    # Unbound: a bound form would validate, that is try to log in, once more.
    form = PortalLoginForm(request, initial={"username": username})
    login_view = PortalLoginView()
    login_view.setup(request)
    context = {
        "form": form,
        "next": login_view.get_redirect_url(),  # as the login page keeps it: only a safe URL
        "lockout_message": "Too many failed attempts for this username from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
    }
    return render(request, "accounts/login.html", context, status=429)

# Home ("/") is each role's dashboard: resellers/views/home.py (a page above billing, which
# holds the figures), routed in billing_portal/urls/__init__.py.
