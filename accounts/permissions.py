"""Role checks for views. Anonymous users go to the login page; a logged-in user
without the right gets 403."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from accounts.models import Account


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


# --- the accounts a login manages ------------------------------------------------------------
# One rule (issue 16): a reseller manages the accounts directly under it, customers and
# sub-resellers alike, never its own account nor one further down; an admin manages every
# account; a customer none. Its Customers pages, the reset links it sends and the way back
# from its "log in as" all ask here.


def direct_accounts(account):
    """The accounts directly under ``account`` (a queryset; empty for a customer)."""
    return Account.objects.filter(parent_id=account.pk)


def managed_accounts(user):
    """The accounts ``user`` manages: all for an admin, its direct accounts for an active
    reseller, none otherwise (a queryset)."""
    if user.is_portal_admin:
        return Account.objects.all()
    account = user.account if user.is_active and user.account_id is not None else None
    if account is not None and account.is_reseller and account.is_active:
        return direct_accounts(account)
    return Account.objects.none()


def manages(user, account) -> bool:
    """Whether ``user`` manages ``account`` (one query for a reseller, none for an admin)."""
    if user.is_portal_admin:
        return True
    return managed_accounts(user).filter(pk=account.pk).exists()
