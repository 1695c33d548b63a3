"""The calls of one of the reseller's accounts and what it paid for them
(calls.views.AccountCallsView, read-only)."""

from django.urls import reverse

from calls.views import AccountCallsView
from resellers.views.customers.scope import ChildAccountMixin


class CustomerCallsView(ChildAccountMixin, AccountCallsView):
    own_view = False

    def links(self) -> dict:
        return {"back": reverse("customers:detail", args=[self.account.number]),
                "statement": reverse("customers:statement", args=[self.account.number])}

    def get(self, request, *args, **kwargs):
        self.account = self.child  # AccountCallsView's account: the one the page is about
        return super().get(request, *args, **kwargs)
