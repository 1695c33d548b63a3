"""python manage.py billing_audit [--now ISO] [--tolerance-hours H]

Revenue assurance (billing/assurance.py): every active or suspended subscription
with a missing, misaligned or duplicate charge, every subscription the billing
run should have settled more than the tolerance ago, every account whose balance
differs from its ledger. Prints a summary and each finding; exits 1 when anything
is found (like check_ledger), 0 when clean. Five SQL statements in all.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.assurance import DEFAULT_TOLERANCE, run_audit, when
from billing.management.clock import parse_now
from core.db_timeouts import long_running
from core.money import fmt


class Command(BaseCommand):
    help = "Find missing, duplicate and overdue DID charges and balances that differ from the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="the clock to audit at, ISO 8601 (default: the current time)")
        parser.add_argument(
            "--tolerance-hours", type=float, default=DEFAULT_TOLERANCE.total_seconds() / 3600,
            help="how long after its period ended a subscription may wait for the billing run (default: 24)",
        )

    @long_running
    def handle(self, *args, now=None, tolerance_hours=24.0, **options):
        clock = parse_now(now) or timezone.now()
        if tolerance_hours < 0:
            raise CommandError("--tolerance-hours cannot be negative")
        report = run_audit(now=clock, tolerance=timedelta(hours=tolerance_hours))

        self.stdout.write(
            f"Billing audit at {when(clock)} (overdue after {tolerance_hours:g} hours): "
            f"{report.subscriptions_checked} active subscriptions ({report.suspended_checked} suspended) "
            f"and {report.accounts_checked} accounts checked."
        )
        sections = (
            ("Duplicate charges", report.duplicates),
            ("Missing or misaligned charges", report.gaps),
            ("Overdue (the billing run has not settled them)", report.overdue),
        )
        for title, findings in sections:
            if not findings:
                continue
            self.stdout.write(f"\n{title}: {len(findings)}")
            for f in findings:
                self.stdout.write(self.style.ERROR(
                    f"  Subscription {f.subscription_id} ({f.status}), account {f.account_number} {f.account_name}, "
                    f"DID {f.did_shown}, period {when(f.period_start)} - {when(f.period_end)}: {f.detail}"
                    + ("" if f.amount is None else f"; {fmt(f.amount)} charged too much")
                ))
        if report.balances:
            self.stdout.write(f"\nBalances that differ from the ledger: {len(report.balances)}")
            for b in report.balances:
                self.stdout.write(self.style.ERROR(
                    f"  Account {b.account_number} {b.account_name}: {b.detail} (difference {fmt(b.difference)})"
                ))
        if not report.ok:
            raise CommandError(f"Billing audit failed: {report.summary}")
        self.stdout.write(self.style.SUCCESS("Billing audit OK: no problems found."))
