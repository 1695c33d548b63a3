"""The admin's revenue-assurance page (/billing/audit/): billing.assurance's findings
as two tables, subscriptions and accounts. The audit runs on each view, in a
fixed number of queries whatever the number of subscriptions."""

from django.views.generic import TemplateView

from accounts.permissions import AdminRequiredMixin
from billing.assurance import run_audit

# The page lists at most this many rows per table; the command lists them all.
SHOWN = 500


class AuditView(AdminRequiredMixin, TemplateView):
    template_name = "billing/audit.html"

    def get_context_data(self, **kwargs):
        report = run_audit()
        findings = report.subscription_findings  # duplicates, then missing/misaligned, then overdue
        hours = report.tolerance.total_seconds() / 3600
        return super().get_context_data(
            report=report, findings=findings[:SHOWN], findings_count=len(findings),
            balances=report.balances[:SHOWN], shown_max=SHOWN, tolerance=f"{hours:g} hour{'s' if hours != 1 else ''}",
            **kwargs,
        )
