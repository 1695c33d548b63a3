from django.contrib.auth.views import LoginView
from django.shortcuts import redirect

from accounts.forms import PortalLoginForm


class PortalLoginView(LoginView):
    form_class = PortalLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def home(request):
    """Send each role to its first page."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_portal_admin:
        return redirect("dids:list")
    return redirect("resellers:dids")
