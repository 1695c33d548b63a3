"""Role checks for views. Anonymous users go to the login page; a logged-in user
without the right gets 403."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied


class AdminRequiredMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.is_portal_admin:
            raise PermissionDenied("This page is for the operator's admins.")
        return super().dispatch(request, *args, **kwargs)


class AccountRequiredMixin(LoginRequiredMixin):
    """Resellers and customers: pages about the logged-in account itself."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.user.account_id is None:
            raise PermissionDenied("This page is for reseller and customer accounts.")
        self.account = request.user.account
        return super().dispatch(request, *args, **kwargs)


class ResellerRequiredMixin(AccountRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.account_id is not None and not user.account.is_reseller:
            raise PermissionDenied("This page is for resellers.")
        return super().dispatch(request, *args, **kwargs)
