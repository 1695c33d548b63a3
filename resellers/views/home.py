"""Home ("/"): each role's dashboard. The admin's page is billing's (billing/views/dashboard.py);
a reseller's and a customer's are here, about the logged-in account only (never one from the URL)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import TemplateView

from accounts.permissions import AccountRequiredMixin, ResellerRequiredMixin
from billing import dashboards
from billing.views.dashboard import AdminDashboardView, money_text, month_axis_label
from core.money import fmt_page
from core.svg_charts import Point, bar_chart


class ResellerHomeView(ResellerRequiredMixin, TemplateView):
    template_name = "dashboards/reseller.html"

    def get_context_data(self, **kwargs):
        board = dashboards.reseller_dashboard(self.account)
        margin_chart = bar_chart(
            [Point(m.label, m.margin, f"{money_text(m.margin)} (earned {money_text(m.revenue)}, "
                                      f"paid {money_text(m.cost)})", month_axis_label(m, board.months)) for m in board.months],
            title=f"Margin per month, last {dashboards.MONTHS} months",
            description="What you earned from the accounts below you less what you paid, each calendar month.",
            value_heading="Margin (earned, paid)", label_heading="Month", value_text=lambda v: f"{v:,.0f}",
            testid="chart-margin-per-month",
        )
        return super().get_context_data(board=board, margin_chart=margin_chart, renewal_days=dashboards.RENEWAL_DAYS,
                                         board_available=fmt_page(board.available),
                                         board_earned=fmt_page(board.this_month.revenue), **kwargs)


class CustomerHomeView(AccountRequiredMixin, TemplateView):
    template_name = "dashboards/customer.html"

    def get_context_data(self, **kwargs):
        board = dashboards.customer_dashboard(self.account)
        return super().get_context_data(board=board, renewal_days=dashboards.RENEWAL_DAYS,
                                        board_available=fmt_page(board.available), **kwargs)


def home(request, *args, **kwargs):
    """Each role's dashboard at "/"; anonymous visitors go to the login page."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.is_portal_admin:
        view = AdminDashboardView
    elif user.account_id is None:
        raise PermissionDenied("This login has no account.")
    elif user.account.is_reseller:
        view = ResellerHomeView
    else:
        view = CustomerHomeView
    return view.as_view()(request, *args, **kwargs)
