"""Rate and charge a CDR file: the one path of the browser upload and
``manage.py rate_cdrs``.

Every row is checked; a rejected row (bad value, unknown DID, no holder at that
moment, the same call id twice in the file) goes to the error report with its
line and reason, never dropped silently. A call id charged before is counted as
already charged and charged nothing (re-importing a file is harmless). Writing
is all or nothing: the calls, their per-level charges and the ledger lines go in
one transaction; imports run one at a time (an advisory lock on PostgreSQL, the
write lock on SQLite) so two of the same file cannot both charge.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import acting_user
from audit.record import record as audit
from billing.rating import Rates, call_cost
from billing_portal.money import fmt
from calls.importing.cells import call_row
from calls.importing.columns import map_cdr_header
from calls.importing.holders import Holdings, load_holdings
from calls.importing.ledger import DailyTotals
from calls.importing.writer import open_writer
from calls.models import Call, CallImport
from dids.importing.cells import RowError
from dids.importing.csv_file import checksum
from dids.importing.pipeline import ErrorReport, Rejected, chunks
from dids.importing.reader import read_rows

CHUNK = 5000  # rows checked against the database per query
FIRST_ERRORS = 20
IMPORT_LOCK = 7_000_001  # pg_advisory_xact_lock key: CDR imports, one at a time


@dataclass
class CDRReport:
    rows_read: int = 0
    charged: int = 0
    already_charged: int = 0
    invalid: int = 0
    total: Decimal = Decimal("0.0000")  # what the first holders pay (the operator's call revenue)
    ledger_lines: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    first_errors: list[Rejected] = field(default_factory=list)
    import_record: CallImport | None = None


@lru_cache(maxsize=200_000)
def _cost(billsec: int, rates: Rates) -> Decimal:
    """Rates repeat (a DID's chain) and so do durations: rate each pair once."""
    return call_cost(billsec, rates)


class _Checker:
    """Turns lines into rated calls, chunk by chunk."""

    def __init__(self, positions, report: CDRReport, errors: ErrorReport):
        self.positions, self.report, self.errors = positions, report, errors
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()  # once: looking it up costs more than parsing a row
        self.holdings: dict[str, Holdings | None] = {}
        self.seen: dict[str, int] = {}  # call id -> its line, for duplicates inside the file

    def reject(self, line: int, cells: list[str], call_id: str, reason: str) -> None:
        self.report.invalid += 1
        self.errors.add(line, cells, reason)
        if len(self.report.first_errors) < FIRST_ERRORS:
            self.report.first_errors.append(Rejected(line, call_id, reason))

    def chunk(self, lines):
        """Yield (row, holdings, charges) for each new, chargeable call of these lines."""
        parsed = []
        for line, cells in lines:
            self.report.rows_read += 1
            try:
                row = call_row(cells, self.positions, self.now, self.zone)
            except RowError as error:
                shown = cells[self.positions["call_id"]] if self.positions["call_id"] < len(cells) else ""
                self.reject(line, cells, shown.strip(), str(error))
                continue
            first = self.seen.setdefault(row.call_id, line)
            if first != line:
                self.reject(line, cells, row.call_id, f"Call ID: also on line {first}; a call is charged once.")
                continue
            parsed.append((line, cells, row))
        unseen = {row.number for _, _, row in parsed} - self.holdings.keys()
        if unseen:
            found = load_holdings(unseen)
            self.holdings.update({number: found.get(number) for number in unseen})
        charged_before = set(Call.objects.filter(call_id__in=[row.call_id for _, _, row in parsed])
                             .values_list("call_id", flat=True))
        for line, cells, row in parsed:
            holdings = self.holdings[row.number]
            if holdings is None:
                self.reject(line, cells, row.call_id, f"DID: {row.number.lstrip('+')} is not one of our DIDs.")
                continue
            if row.call_id in charged_before:
                self.report.already_charged += 1
                continue
            chain = holdings.chain_at(row.started_at)
            if not chain:
                self.reject(line, cells, row.call_id,
                            f"DID: {row.number.lstrip('+')} had no holder at {row.started_at:%Y-%m-%d %H:%M:%S %Z}; "
                            "nobody to charge.")
                continue
            charges = [(level.account_id, level.seller_id, n, _cost(row.billsec, level.rates))
                       for n, level in enumerate(chain, start=1)]
            self.report.charged += 1
            self.report.total += charges[0][3]
            yield row, holdings, charges


def rate_cdr_file(path: Path, *, write: bool, errors_path: Path | None = None, source: str = CallImport.Source.COMMAND,
                  filename: str = "", by=None) -> CDRReport:
    """Check (``write=False``: a dry run, nothing written) or rate and charge the file.
    Raises FileError (HeaderError) when the file as a whole cannot be used."""
    report = CDRReport()
    with path.open("rb") as stream:
        header, lines = read_rows(stream)
        columns = map_cdr_header(header)
        report.ignored_columns = columns.ignored
        errors = ErrorReport(errors_path, header)
        try:
            if write:
                _write(path, lines, columns, report, errors, source=source, filename=filename, by=by)
            else:
                checker = _Checker(columns.positions, report, errors)
                for block in chunks(lines, CHUNK):
                    for _ in checker.chunk(block):
                        pass
        finally:
            errors.close()
    return report


def _write(path, lines, columns, report, errors, *, source, filename, by) -> None:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
        # The first write: on SQLite it takes the database's write lock for the whole import.
        record = CallImport.objects.create(source=source, filename=(filename or path.name)[:255],
                                           checksum=checksum(path), created_by=acting_user(by))
        checker = _Checker(columns.positions, report, errors)
        writer, totals, numbers = open_writer(record.pk), DailyTotals(), {}
        for block in chunks(lines, CHUNK):
            for row, holdings, charges in checker.chunk(block):
                writer.add(row, holdings.did_id, charges)
                totals.add(holdings.did_id, row.started_at, charges)
                numbers[holdings.did_id] = holdings.number
        writer.flush()
        report.ledger_lines = totals.post(numbers, record.pk)
        record.rows_read, record.charged, record.already_charged = report.rows_read, report.charged, report.already_charged
        record.invalid, record.total = report.invalid, report.total
        record.save()
        report.import_record = record
        # One audit row per CDR import, with its totals: its calls and statement lines are the detail.
        audit("calls.charged", obj=record, by=by,
              summary=f"{record} ({record.get_source_display()}, {record.filename}): {report.charged:,} calls charged, "
                      f"first holders pay {fmt(report.total)} USD; {report.already_charged:,} already charged, "
                      f"{report.invalid:,} rejected",
              changes={"calls": (None, report.charged), "total": (None, report.total),
                       "ledger_lines": (None, report.ledger_lines), "already_charged": (None, report.already_charged),
                       "rejected": (None, report.invalid)})
