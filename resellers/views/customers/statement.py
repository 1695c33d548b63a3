"""The statement of one of the reseller's accounts: the same page and CSV as every statement
(billing.views.statement.StatementMixin), with the links of the reseller's pages."""

from django.urls import reverse
from django.views.generic import TemplateView

from billing.views.statement import StatementMixin
from resellers.views.customers.scope import ChildAccountMixin


class CustomerStatementView(ChildAccountMixin, StatementMixin, TemplateView):
    def links(self) -> dict:
        return {"back": reverse("customers:detail", args=[self.account.number]),
                "calls": reverse("customers:calls", args=[self.account.number])}

    def get(self, request, *args, **kwargs):
        self.account = self.child  # StatementMixin's account: the one the page is about
        return super().get(request, *args, **kwargs)
