"""Log in as one of the reseller's accounts, for support (POST only): the admin's "log in as"
(audit.views.BaseLoginAsView: audited both ways, the banner, one at a time), started by the
reseller on an account directly below it; Return brings it back to that account's page."""

from django.urls import reverse

from accounts.models import Account
from audit.views import BaseLoginAsView
from resellers.views.customers.scope import ChildAccountMixin


class CustomerLoginAsView(ChildAccountMixin, BaseLoginAsView):
    def post(self, request, number):
        return self.log_in_as(request, self.child)

    def return_url(self, account: Account) -> str:
        return reverse("customers:detail", args=[account.number])

    def return_label(self) -> str:
        return self.reseller.name

    def who(self) -> str:
        return f"{self.request.user.get_username()} of reseller {self.reseller.name} ({self.reseller.number})"
