"""The admin's Login security page: recent failed logins and current lockouts (django-axes'
records), with Unlock. Everything shown was typed by strangers: templates autoescape it."""

from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import TemplateView, View

from accounts.forms import UnlockForm
from accounts.permissions import AdminRequiredMixin
from accounts.security import cool_off_minutes, current_lockouts, unlock
from core.listing import paginate

LOCKOUTS_SHOWN = 100


class LoginSecurityView(AdminRequiredMixin, TemplateView):
    template_name = "accounts/login_security.html"

    def get_context_data(self, **kwargs):
        lockouts = current_lockouts()
        # The failure log grows with every failure (attackers included): keyset pages by id.
        failures = paginate(
            self.request, AccessFailureLog.objects.all(), sorts={"time": ("id",)}, default_sort="-time",
            keyset=True, unique=("id",),
        )
        return super().get_context_data(
            lockouts=lockouts[:LOCKOUTS_SHOWN],
            lockouts_hidden=max(0, len(lockouts) - LOCKOUTS_SHOWN),
            page=failures,
            failure_limit=settings.AXES_FAILURE_LIMIT,
            cool_off_minutes=cool_off_minutes(),
            **kwargs,
        )


class UnlockView(AdminRequiredMixin, View):
    """End one lockout (POST only)."""

    http_method_names = ["post"]

    def post(self, request):
        form = UnlockForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Nothing unlocked: choose a lockout from the list.")
            return redirect("login_security")
        username, ip_address = form.cleaned_data["username"], form.cleaned_data["ip_address"] or None
        if unlock(username=username, ip_address=ip_address):
            messages.success(request, f"Unlocked {username} from {ip_address or 'an unknown address'}.")
        else:
            messages.info(request, f"{username} from {ip_address or 'an unknown address'} was not locked out.")
        return redirect("login_security")
