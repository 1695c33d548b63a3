"""The calls of one of the reseller's accounts and what it paid for them
(calls.views.AccountCallsView, read-only)."""

from calls.views import AccountCallsView
from resellers.views.customers.scope import ChildAccountMixin


class CustomerCallsView(ChildAccountMixin, AccountCallsView):
    template_name = "resellers/customers/calls.html"

    def get(self, request, *args, **kwargs):
        self.account = self.child  # AccountCallsView's account: the one the page is about
        return super().get(request, *args, **kwargs)
