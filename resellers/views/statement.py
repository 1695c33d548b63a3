"""The account's own statement (/portal/statement/)."""

from django.http import Http404
from django.views.generic import TemplateView

from accounts.permissions import AccountRequiredMixin
from billing.views.statement import StatementMixin


class OwnStatementView(AccountRequiredMixin, StatementMixin, TemplateView):
    """/portal/statement/ and /portal/statement/<number>/: a reseller or customer only
    ever sees its own statement; any other account number is 404."""

    def get(self, request, *args, **kwargs):
        number = kwargs.get("number")
        if number is not None and number != self.account.number:
            raise Http404("No such account.")
        return super().get(request, *args, **kwargs)
