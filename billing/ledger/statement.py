"""An account's statement: its ledger entries, newest first, with the running
balance (each entry's balance_after), filtered by date, as a page or as CSV."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from billing.models import LedgerEntry
from core.csv_stream import csv_lines as stream_csv, spreadsheet_safe
from core.money import fmt
from core.phone import csv_number

CSV_HEADER = ["Date", "Kind", "Description", "DID", "Period", "Amount", "Balance"]
# Sorting: newest first by default; the per-account sequence is the true order.
STATEMENT_SORTS = {"date": ("seq",)}
DEFAULT_SORT = "-date"


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def within_days(rows: QuerySet, field: str, date_from: date | None, date_to: date | None) -> QuerySet:
    """``rows`` whose ``field`` (a time) falls between two days, both included, in the portal's
    time zone: plain ranges, so an index on the time serves them (the statement; the API's calls)."""
    if date_from:
        rows = rows.filter(**{f"{field}__gte": _day_start(date_from)})
    if date_to:
        rows = rows.filter(**{f"{field}__lt": _day_start(date_to + timedelta(days=1))})
    return rows


def statement_entries(*, account_id: int, date_from: date | None = None, date_to: date | None = None) -> QuerySet:
    """The account's entries between two days (both included, in the portal's time zone).

    Bounds are plain ranges on created_at so the (account, created_at) index serves them.
    """
    entries = LedgerEntry.objects.filter(account_id=account_id).select_related("did")
    return within_days(entries, "created_at", date_from, date_to)


def period_text(entry: LedgerEntry, separator: str = " – ") -> str:
    if not entry.period_start and not entry.period_end:
        return ""
    start = timezone.localtime(entry.period_start).date().isoformat() if entry.period_start else ""
    end = timezone.localtime(entry.period_end).date().isoformat() if entry.period_end else ""
    return f"{start}{separator}{end}"


def csv_row(entry: LedgerEntry) -> list[str]:
    return [
        timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        entry.get_kind_display(),
        spreadsheet_safe(entry.description),
        csv_number(entry.did.number) if entry.did_id else "",
        period_text(entry, separator=" - "),
        fmt(entry.amount),
        fmt(entry.balance_after),
    ]


def csv_lines(entries: QuerySet) -> Iterator[str]:
    """The CSV, line by line, newest first; reads the entries in chunks, not all at once."""
    rows = (csv_row(entry) for entry in entries.order_by("-seq").iterator(chunk_size=2000))
    return stream_csv(CSV_HEADER, rows)
