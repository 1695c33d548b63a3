"""The audit trail as CSV: the rows of the page (the same filters, newest first), every one of
them, read with ``values_list`` in chunks (one query whatever the number of rows). DIDs in
E.164, times as YYYY-MM-DD HH:MM:SS, everything typed by a person through spreadsheet_safe."""

from collections.abc import Iterator

from django.utils import timezone

from audit.models import ACTIONS, AuditEntry
from core.csv_stream import spreadsheet_safe
from core.phone import csv_number

HEADER = ["When", "Who", "Via admin", "From", "IP", "Action", "What", "DID", "Account number", "Before → after"]
SOURCES = dict(AuditEntry.Source.choices)


def _changes(changes) -> str:
    """'name: before → after' per changed field, as the page lists them (AuditEntry.change_rows), on one line."""
    return "; ".join(f"{name}: {'—' if before is None else before} → {'—' if after is None else after}"
                     for name, before, after in AuditEntry(changes=changes).change_rows)


def audit_rows(entries) -> Iterator[list]:
    fields = ["at", "actor_name", "on_behalf_of_name", "source", "ip", "action", "summary", "did_number",
              "account_number", "changes"]
    for at, actor, via, source, ip, action, summary, did_number, account_number, changes in (
            entries.values_list(*fields).iterator(chunk_size=2000)):
        yield [timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"), spreadsheet_safe(actor or "System"),
               spreadsheet_safe(via), SOURCES.get(source, source), ip or "", ACTIONS.get(action, action),
               spreadsheet_safe(summary), csv_number(did_number), account_number, spreadsheet_safe(_changes(changes))]
