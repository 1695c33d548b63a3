"""Statement pages: the logged-in account's own (/portal/statement/) and any
account's for the admin (/accounts/manage/<pk>/statement/). Same page, same CSV."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from billing.forms import StatementFilterForm
from billing.ledger.statement import DEFAULT_SORT, STATEMENT_SORTS, csv_lines, statement_entries
from core.csv_stream import csv_download
from core.listing import paginate


class StatementMixin:
    """Subclasses set ``self.account`` before this ``get`` runs. ``?format=csv`` streams the
    filtered entries instead of showing a page."""

    template_name = "billing/statement.html"

    def links(self) -> dict:
        """The page's Back to account and Calls buttons: the logged-in account's own here."""
        return {"back": None, "calls": reverse("calls:mine")}

    def get(self, request, *args, **kwargs):
        filters = StatementFilterForm(request.GET or None)
        date_from, date_to = filters.dates()
        entries = statement_entries(account_id=self.account.pk, date_from=date_from, date_to=date_to)
        if request.GET.get("format") == "csv":
            return self.csv_response(entries)
        # seq is unique within the account: keyset pages on it alone, the oldest page as fast as the newest.
        page = paginate(request, entries, sorts=STATEMENT_SORTS, default_sort=DEFAULT_SORT, keyset=True, unique=("seq",))
        context = self.get_context_data(account=self.account, filters=filters, page=page, links=self.links())
        return self.render_to_response(context)

    def csv_response(self, entries):
        return csv_download(csv_lines(entries), f"statement-{self.account.number}")


class AdminStatementView(AdminRequiredMixin, StatementMixin, TemplateView):
    def links(self) -> dict:
        return {"back": reverse("billing:account", args=[self.account.pk]),
                "calls": reverse("calls:account_calls", args=[self.account.pk])}

    def get(self, request, *args, **kwargs):
        self.account = get_object_or_404(Account.objects.select_related("parent"), pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)
