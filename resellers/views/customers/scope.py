"""Which accounts a reseller manages: those directly under it (``Account.parent`` is its own
account), customers and sub-resellers alike. Anything else (another reseller's account, its
own, one further down the tree, a number that does not exist) answers 404; customers and
admins get 403 on every page here (ResellerRequiredMixin); anonymous users go to the login page.

Every page of /portal/customers/ uses this module, so the rule is written once."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Account
from accounts.permissions import ResellerRequiredMixin, direct_accounts


def children_of(reseller: Account) -> QuerySet:
    """The accounts ``reseller`` manages (accounts/permissions.py, the one rule)."""
    return direct_accounts(reseller)


def get_child_or_404(reseller: Account, number: str) -> Account:
    """One of ``reseller``'s accounts by its account number (with its login), or 404."""
    return get_object_or_404(children_of(reseller).select_related("user"), number=number)


class ResellerPageMixin(ResellerRequiredMixin):
    """A page of /portal/customers/: resellers only. ``self.reseller`` is the logged-in
    reseller's account."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.account_id is not None:
            self.reseller = user.account
        return super().dispatch(request, *args, **kwargs)


class ChildAccountMixin(ResellerPageMixin):
    """A page about one of the reseller's accounts, named by its number in the URL
    (``<number>``): ``self.child``. The roles are checked first (login, 403), then the method
    (405), then the account (404), so a refusal never tells whether an account exists."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        is_reseller = user.is_authenticated and user.account_id is not None and user.account.is_reseller
        method = request.method.lower()
        if is_reseller and method in self.http_method_names and hasattr(self, method):
            self.child = get_child_or_404(user.account, kwargs["number"])
        return super().dispatch(request, *args, **kwargs)
