from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render

from accounts.forms import PortalLoginForm
from accounts.security import cool_off_minutes


class PortalLoginView(LoginView):
    form_class = PortalLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def lockout_response(request, response=None, credentials=None):
    """django-axes' answer (``AXES_LOCKOUT_CALLABLE``) once a (username, address) pair has
    failed too often: the login page again, saying why, as 429 Too Many Requests."""
    minutes = cool_off_minutes()
    # Unbound: a bound form would validate, that is try to log in, once more.
    form = PortalLoginForm(request, initial={"username": request.POST.get("username", "")})
    login_view = PortalLoginView()
    login_view.setup(request)
    context = {
        "form": form,
        "next": login_view.get_redirect_url(),  # as the login page keeps it: only a safe URL
        "lockout_message": "Too many failed attempts for this username from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
    }
    return render(request, "accounts/login.html", context, status=429)


def home(request):
    """Send each role to its first page."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_portal_admin:
        return redirect("dids:list")
    return redirect("resellers:dids")
