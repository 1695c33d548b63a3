"""Margins pages: the admin's summary (/margins/), one account's DIDs for the admin
(/accounts/manage/<pk>/margins/) and a reseller's own (/portal/margins/).
The figures come from billing.prices.margins; these views only pick the account and paginate."""

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from billing.prices.margins import (
    ROW_DEFAULT_SORT, ROW_SORTS, SUMMARY_DEFAULT_SORT, SUMMARY_SORTS, account_margin_rows, account_margin_totals,
    attach_sold_to, operator_margin, reseller_margin_summary,
)
from core.listing import paginate


class MarginsAdminView(AdminRequiredMixin, TemplateView):
    template_name = "billing/margins.html"

    def get_context_data(self, **kwargs):
        page = paginate(self.request, reseller_margin_summary(), sorts=SUMMARY_SORTS,
                        default_sort=SUMMARY_DEFAULT_SORT)
        return super().get_context_data(page=page, operator=operator_margin(), **kwargs)


class AccountMarginsMixin:
    template_name = "billing/account_margins.html"
    admin_view = False

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
