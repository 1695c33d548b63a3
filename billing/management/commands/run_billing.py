"""Settle every subscription whose period has ended (billing/subscriptions/renewals.py).

Schedule it (cron or a systemd timer, see README); several machines may run it at
once. --now runs the clock forward (tests, catching up, rehearsing a month end).
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from billing.management.clock import parse_now
from billing.subscriptions.renewals import run_billing
from core.db_timeouts import long_running
from core.progress import ProgressBar, add_progress_option


class Command(BaseCommand):
    help = "Charge renewals, end One Time periods, suspend and release unpaid DIDs."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="the clock to bill at, ISO 8601 (default: the current time)")
        parser.add_argument("--batch-size", type=int, help="DIDs per transaction (default: BILLING_BATCH_SIZE)")
        add_progress_option(parser)

    @long_running
    def handle(self, *args, now=None, batch_size=None, **options):
        clock = parse_now(now)
        with ProgressBar.for_command(self, options, unit="DIDs") as progress:
            report = run_billing(now=clock, batch_size=batch_size, progress=progress.callback)
        self.stdout.write(f"Billing run at {(clock or timezone.now()).isoformat()}: {report}")
