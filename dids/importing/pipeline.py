"""Check every row, then (on confirmation) write the valid ones: the one path
shared by the browser upload, ``manage.py import_dids`` and ranges.

A row is *new* (will be created), a *duplicate* (its number exists, or an
earlier line of the same file has it) or *invalid* (the reason names the
column). Every rejected row goes to an error report with its line number, so
nothing is ever dropped silently. Writing is all or nothing: the valid rows go
in together in one transaction, or none do.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from accounts.models import acting_user
from dids.importing.cells import RowError
from dids.importing.writer import Spool
from dids.models import DID, DIDImport

CHUNK = 5000  # rows checked against the database per query
FIRST_ERRORS = 20  # shown on the preview


@dataclass
class Rejected:
    line: int
    number: str
    reason: str


@dataclass
class Report:
    rows_read: int = 0
    new: int = 0
    duplicates: int = 0
    invalid: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    first_errors: list[Rejected] = field(default_factory=list)
    import_record: DIDImport | None = None

    @property
    def rejected(self) -> int:
        return self.duplicates + self.invalid


@dataclass
class Row:
    """One input row: its line, what to show as the number, its raw cells (for the
    error report) and a function giving its values or raising RowError."""

    line: int
    number: str
    cells: list[str]
    values: object  # () -> dict


class ErrorReport:
    """Rejected rows as CSV: Line, Reason, then the row as it was (same header),
    so the file can be corrected and imported again."""

    def __init__(self, path: Path | None, header: list[str]):
        self.file = path.open("w", newline="", encoding="utf-8") if path else None
        if self.file:
            self.csv = csv.writer(self.file)
            self.csv.writerow(["Line", "Reason"] + header)

    def add(self, row: Row, reason: str) -> None:
        if self.file:
            self.csv.writerow([row.line, reason] + row.cells)

    def close(self) -> None:
        if self.file:
            self.file.close()


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def existing_numbers(numbers: list[str]) -> set[str]:
    """Which of these numbers are DIDs already. On PostgreSQL a join with the list:
    for ``number IN (5,000 values)`` the planner picks the trigram index (pg_trgm
    serves "=" too) and takes minutes instead of milliseconds."""
    if connection.vendor != "postgresql":
        return set(DID.objects.filter(number__in=numbers).values_list("number", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.number FROM unnest(%s::varchar[]) AS n(number) JOIN dids_did d ON d.number = n.number",
            [numbers],
        )
        return {number for (number,) in cursor.fetchall()}


def check(rows: Iterable[Row], report: Report, errors: ErrorReport, spool: Spool | None = None) -> Report:
    """Sort every row into new / duplicate / invalid; spool the new ones when writing."""
    seen: dict[str, int] = {}  # number -> first line, for duplicates inside the file

    for chunk in _chunks(rows):
        checked, rejected = [], []  # rejected: (row, reason, is a duplicate)
        for row in chunk:
            report.rows_read += 1
            try:
                values = row.values()
            except RowError as error:
                rejected.append((row, str(error), False))
                continue
            number = values["number"]
            if number in seen:
                rejected.append((row, f"Duplicate: {number} is also on line {seen[number]}.", True))
                continue
            seen[number] = row.line
            checked.append((row, values))
        existing = existing_numbers([v["number"] for _, v in checked])
        for row, values in checked:
            if values["number"] in existing:
                rejected.append((row, f"Duplicate: DID {values['number']} already exists.", True))
            else:
                report.new += 1
                if spool is not None:
                    spool.add(values)
        for row, reason, duplicate in sorted(rejected, key=lambda r: r[0].line):  # the report reads in file order
            if duplicate:
                report.duplicates += 1
            else:
                report.invalid += 1
            if len(report.first_errors) < FIRST_ERRORS:
                report.first_errors.append(Rejected(row.line, row.number, reason))
            errors.add(row, reason)
    return report


def run(rows: Iterable[Row], *, header: list[str], ignored: list[str], errors_path: Path | None,
        write: bool, record: dict | None = None, by=None) -> Report:
    """Check the rows (the preview) and, when ``write``, create the new DIDs as one
    import. ``record`` holds the DIDImport's own fields (source, filename, ...)."""
    report = Report(ignored_columns=ignored)
    errors = ErrorReport(errors_path, header)
    spool = Spool() if write else None
    try:
        check(rows, report, errors, spool)
        if write and report.new:  # a file with nothing new leaves no trace
            _write(report, spool, record or {}, by)
    finally:
        errors.close()
        if spool:
            spool.close()
    return report


def _write(report: Report, spool: Spool, record: dict, by) -> None:
    with transaction.atomic():
        imported = DIDImport.objects.create(
            rows_read=report.rows_read, invalid=report.invalid, created_by=acting_user(by), **record,
        )
        created = spool.insert(imported.pk) if spool.count else 0
        # Numbers another admin created since they were checked were skipped by the insert.
        report.duplicates += report.new - created
        report.new = created
        imported.created, imported.duplicates = created, report.duplicates
        imported.save(update_fields=["created", "duplicates"])
    report.import_record = imported
