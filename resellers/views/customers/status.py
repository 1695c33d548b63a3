"""Suspend / Reactivate one of the reseller's accounts, behind a confirmation page: GET says
what it means, only POST (with the status it confirms) changes it
(accounts.services.account_set_status)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.services import AccountError, account_set_status
from resellers.views.customers.scope import ChildAccountMixin


class CustomerStatusView(ChildAccountMixin, TemplateView):
    template_name = "resellers/customers/status_confirm.html"

    def get_context_data(self, **kwargs):
        suspend = self.child.is_active
        new_status = Account.Status.SUSPENDED if suspend else Account.Status.ACTIVE
        return super().get_context_data(account=self.child, suspend=suspend, new_status=new_status, **kwargs)

    def post(self, request, number):
        # The status the confirmation page showed: a page left open and posted again after the
        # status changed elsewhere confirms what it said, nothing else.
        try:
            account = account_set_status(account_id=self.child.pk, status=request.POST.get("status", ""))
        except AccountError as exc:
            messages.error(request, str(exc))
            return redirect("customers:detail", number=number)
        if account.is_active:
            messages.success(request, f"Account {account.number} ({account.name}) reactivated. It can log in again.")
        else:
            messages.success(request, f"Account {account.number} ({account.name}) suspended. "
                                      "It can no longer log in or buy.")
        return redirect("customers:detail", number=number)
