"""The ``--now`` option of the billing commands: an ISO 8601 moment, aware."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def parse_now(text: str | None) -> datetime | None:
    """``--now`` as an aware datetime (naive means the project's time zone); None when not given."""
    if not text:
        return None
    clock = parse_datetime(text)
    if clock is None:
        raise CommandError(f"--now: {text!r} is not an ISO 8601 date and time, e.g. 2026-12-01T00:00:00Z")
    return timezone.make_aware(clock) if timezone.is_naive(clock) else clock
