"""The --now option shared by run_billing and billing_audit."""

from datetime import datetime, timezone as dt_timezone

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.management.clock import parse_now


def test_an_iso_moment_is_kept_and_a_naive_one_is_in_the_projects_time_zone():
    assert parse_now("2026-12-01T00:00:00Z") == datetime(2026, 12, 1, tzinfo=dt_timezone.utc)
    naive = parse_now("2026-12-01T00:00:00")
    assert timezone.is_aware(naive) and naive.replace(tzinfo=None) == datetime(2026, 12, 1)
    assert parse_now("") is None and parse_now(None) is None


@pytest.mark.parametrize("command", ["run_billing", "billing_audit"])
def test_both_commands_refuse_a_clock_that_is_not_a_date(db, command):
    with pytest.raises(CommandError, match="--now: 'tomorrow' is not an ISO 8601 date and time"):
        call_command(command, "--now", "tomorrow")
