"""The account's own calls and what it paid for them (/portal/calls/)."""

from accounts.permissions import AccountRequiredMixin
from calls.views import AccountCallsView


class MyCallsView(AccountRequiredMixin, AccountCallsView):
    pass
