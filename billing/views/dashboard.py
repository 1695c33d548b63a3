"""The admin's home page: the operator's figures (billing/dashboards.py) and two charts."""

from django.views.generic import TemplateView

from accounts.permissions import AdminRequiredMixin
from billing import dashboards
from core.money import fmt_page
from core.svg_charts import Point, bar_chart, line_chart


def money_text(value) -> str:
    return fmt_page(value)


def month_axis_label(month, months) -> str:
    """"Dec" under the axis; the latest month with its year ("Dec 2026") so the axis is dated."""
    return f"{month.start:%b %Y}" if month is months[-1] else f"{month.start:%b}"


class AdminDashboardView(AdminRequiredMixin, TemplateView):
    template_name = "dashboards/admin.html"

    def get_context_data(self, **kwargs):
        board = dashboards.admin_dashboard()
        sold_chart = bar_chart(
            [Point(f"{day:%b %d}", n, f"{n:,}") for day, n in board.sold_per_day],
            title=f"DIDs sold per day, last {dashboards.SOLD_DAYS} days",
            description="DIDs bought from the operator each day by the accounts directly under it.",
            value_heading="DIDs sold", label_heading="Day", testid="chart-sold-per-day",
        )
        revenue_chart = line_chart(
            [Point(m.label, m.revenue, f"{money_text(m.revenue)} (margin {money_text(m.margin)})",
                   month_axis_label(m, board.months)) for m in board.months],
            title=f"Revenue per month, last {dashboards.MONTHS} months",
            description="What the accounts directly under the operator were charged each calendar month.",
            value_heading="Revenue (margin)", label_heading="Month", value_text=lambda v: f"{v:,.0f}",
            testid="chart-revenue-per-month",
        )
        return super().get_context_data(board=board, sold_chart=sold_chart, revenue_chart=revenue_chart,
                                         renewal_days=dashboards.RENEWAL_DAYS, **kwargs)
