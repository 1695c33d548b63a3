"""The calls pages as CSV: every call the page's filter finds, newest first as the page, read
with ``values_list`` in chunks: one query whatever the number of calls. DIDs in E.164, money
with 4 places (core.money.fmt), times as YYYY-MM-DD HH:MM:SS; the call id (from a switch's file)
through spreadsheet_safe."""

from collections.abc import Iterator

from django.utils import timezone

from core.csv_stream import spreadsheet_safe
from core.money import fmt
from core.phone import csv_number


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def account_header(resells: bool, own_view: bool) -> list[str]:
    """One account's calls: what it paid per call and, for a reseller, what the account below paid it."""
    header = ["Start", "Call ID", "DID", "Answered (sec.)", "You pay (USD)" if own_view else "Paid (USD)"]
    return header + (["Charged below (USD)"] if resells else [])


def account_call_rows(charges, resells: bool) -> Iterator[list]:
    """``charges``: calls.listing.account_calls(account, number), sorted (``earned`` annotated for a reseller)."""
    fields = ["started_at", "call__call_id", "call__did__number", "call__billsec", "amount"]
    if resells:
        fields.append("earned")
    for values in charges.values_list(*fields).iterator(chunk_size=2000):
        started_at, call_id, number, billsec, amount = values[:5]
        row = [_when(started_at), spreadsheet_safe(call_id), csv_number(number), billsec, fmt(amount)]
        if resells:
            row.append("" if values[5] is None else fmt(values[5]))
        yield row


# The admin's every call: one row per level charged (a call nobody paid for: one row, levels blank),
# so each amount is a cell of its own to sum.
ALL_HEADER = ["Start", "Call ID", "DID", "Answered (sec.)", "Level", "Account number", "Account name",
              "Amount (USD)", "Import"]


def all_call_rows(calls) -> Iterator[list]:
    """``calls``: calls.listing.all_calls(number), sorted. The charges come with the calls (a left
    join, in level order within each call): still one query."""
    ordered = calls.order_by(*calls.query.order_by, "charges__level")
    fields = ["started_at", "call_id", "did__number", "billsec", "charges__level", "charges__account__number",
              "charges__account__name", "charges__amount", "import_batch_id"]
    for started_at, call_id, number, billsec, level, account_number, account_name, amount, batch in (
            ordered.values_list(*fields).iterator(chunk_size=2000)):
        yield [_when(started_at), spreadsheet_safe(call_id), csv_number(number), billsec, level or "",
               account_number or "", spreadsheet_safe(account_name or ""), "" if amount is None else fmt(amount), batch]
