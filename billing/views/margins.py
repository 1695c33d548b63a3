"""Margins pages: the admin's summary (/margins/), one account's DIDs for the admin
(/accounts/manage/<pk>/margins/) and a reseller's own (/portal/margins/).
The figures come from billing.prices.margins; these views only pick the account and paginate."""

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from billing.margin_exports import SUMMARY_HEADER, account_header, account_rows, summary_rows
from billing.prices.margins import (
    ROW_DEFAULT_SORT, ROW_SORTS, SUMMARY_DEFAULT_SORT, SUMMARY_SORTS, account_margin_rows, account_margin_totals,
    attach_sold_to, operator_margin, reseller_margin_summary,
)
from core.csv_stream import csv_download, csv_lines
from core.listing import paginate, sorted_by


class MarginsAdminView(AdminRequiredMixin, TemplateView):
    template_name = "billing/margins.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # every account's row, in the page's order
            accounts = sorted_by(request, reseller_margin_summary(), SUMMARY_SORTS, SUMMARY_DEFAULT_SORT)
            return csv_download(csv_lines(SUMMARY_HEADER, summary_rows(accounts)), "margins")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        page = paginate(self.request, reseller_margin_summary(), sorts=SUMMARY_SORTS,
                        default_sort=SUMMARY_DEFAULT_SORT)
        return super().get_context_data(page=page, operator=operator_margin(), **kwargs)


class AccountMarginsMixin:
    template_name = "billing/account_margins.html"
    admin_view = False

    def get(self, request, *args, **kwargs):
        """``self.account`` is set first (the admin's view: from the URL; a reseller's: the login)."""
        if request.GET.get("format") == "csv":  # every DID's row, in the page's order
            resells = self.account.is_reseller
            rows = account_rows(sorted_by(request, account_margin_rows(self.account), ROW_SORTS, ROW_DEFAULT_SORT),
                                resells)
            return csv_download(csv_lines(account_header(resells), rows), f"margins-{self.account.number}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        page = paginate(self.request, account_margin_rows(self.account), sorts=ROW_SORTS,
                        default_sort=ROW_DEFAULT_SORT)
        page.rows = attach_sold_to(page.rows)
        return super().get_context_data(
            account=self.account, page=page, totals=account_margin_totals(self.account),
            admin_view=self.admin_view, **kwargs,
        )


class AccountMarginsAdminView(AdminRequiredMixin, AccountMarginsMixin, TemplateView):
    admin_view = True

    def get(self, request, *args, **kwargs):
        self.account = get_object_or_404(Account, pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)
