"""Settle every subscription whose period has ended (billing/renewals.py).

Schedule it (cron or a systemd timer, see README); several machines may run it at
once. --now runs the clock forward (tests, catching up, rehearsing a month end).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing.renewals import run_billing


class Command(BaseCommand):
    help = "Charge renewals, end One Time periods, suspend and release unpaid DIDs."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="the clock to bill at, ISO 8601 (default: the current time)")
        parser.add_argument("--batch-size", type=int, help="DIDs per transaction (default: BILLING_BATCH_SIZE)")

    def handle(self, *args, now=None, batch_size=None, **options):
        clock = None
        if now:
            clock = parse_datetime(now)
            if clock is None:
                raise CommandError(f"--now: {now!r} is not an ISO 8601 date and time, e.g. 2026-12-01T00:00:00Z")
            if timezone.is_naive(clock):
                clock = timezone.make_aware(clock)
        report = run_billing(now=clock, batch_size=batch_size)
        self.stdout.write(f"Billing run at {(clock or timezone.now()).isoformat()}: {report}")
