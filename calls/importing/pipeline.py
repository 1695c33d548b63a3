"""Rate and charge a CDR file: the one path of the browser upload and
``manage.py rate_cdrs``.

The file is read twice. The first read finds the rows of each call (rows with one
call id: Asterisk writes a CDR per Dial attempt with the same uniqueid): its longest
row is the call, charged once; the others are counted as other legs, never charged
and never rejected. The second read checks, rates and (when writing) charges. A
rejected row (bad value, unknown DID, no holder at that moment) goes to the error
report with its line and reason, never dropped silently.

A call id has at most one answered and one unanswered row in the database (the
constraint call_answered_once): a call charged before is counted as already charged
and charged nothing, so re-importing a file is harmless; a call stored unanswered by
an earlier file that arrives answered is charged then, once. Writing is all or
nothing: the calls, their per-level charges and the ledger lines go in one
transaction; imports run one at a time (an advisory lock on PostgreSQL, the write
lock on SQLite) so two of the same file cannot both charge.
"""

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import acting_user
from audit.record import record as audit
from dids.rating import call_cost
from core.money import fmt, quantize
from calls.importing.background import Background
from calls.importing.cells import RowReader, read_country, read_zone
from calls.importing.columns import CDRColumns
from calls.importing.formats import FORMATS, read_columns
from calls.importing.holders import Chain, Holdings, load_holdings
from calls.importing.ledger import DailyTotals
from calls.importing.writer import Costs, open_writer
from calls.models import Call, CallImport
from core.locking import one_at_a_time
from core.importing.rows import CHUNK, FIRST_ERRORS, ErrorReport, Rejected, RowError, checksum, chunks
from core.importing.reader import FileError
from core.progress import Progress, count_lines, track
from core.phone import display

IMPORT_LOCK = 7_000_001  # pg_advisory_xact_lock key: CDR imports, one at a time
_LINE = 0xFFFFFFFF  # a call's best row: (answered seconds + 1) << 32 | (_LINE - line), the largest wins


@dataclass
class CDRReport:
    rows_read: int = 0
    charged: int = 0
    answered_later: int = 0  # of the charged: calls an earlier import stored unanswered
    already_charged: int = 0
    other_legs: int = 0  # more rows of a call charged (or refused) on its longest row
    invalid: int = 0
    total: Decimal = Decimal("0.0000")  # what the first holders pay (the operator's call revenue)
    ledger_lines: int = 0
    first_call: datetime | None = None
    last_call: datetime | None = None
    time_zone: str = ""  # the zone of times without an offset
    country: str = ""  # DIDs without a calling code read in it
    columns: CDRColumns | None = None
    first_errors: list[Rejected] = field(default_factory=list)
    import_record: CallImport | None = None

    @property
    def ignored_columns(self) -> list[str]:
        return self.columns.ignored if self.columns else []

    @property
    def layout(self) -> str:
        return self.columns.layout if self.columns else ""


class _Costs:
    """What each level pays for a call of so many answered seconds on chains of one set of rates:
    rates repeat (every DID of a product, every buyer of a reseller) and so do durations, so
    each pair is rated once."""

    def __init__(self):
        self.found: dict[tuple[int, int], Costs] = {}

    def __call__(self, chain: Chain, billsec: int) -> Costs:
        key = (chain.rates_id, billsec)
        found = self.found.get(key)
        if found is None:
            amounts = tuple(call_cost(billsec, level.rates) for level in chain.levels)
            found = self.found[key] = Costs(amounts, tuple(f"{amount:.4f}" for amount in amounts),
                                             tuple(int(amount * 10_000) for amount in amounts))
        return found


def _stored(db, call_ids: list[str]) -> dict[str, bool]:
    """Call id -> whether it was charged answered before (False: only an unanswered row is stored).
    ``db``: psycopg2's connection (the background thread's), or None: Django's."""
    if db is not None:  # an array parameter: the ORM's IN list costs seconds a million
        with db.cursor() as cursor:
            # The index, always: statistics of a table an import is filling made the planner scan it whole.
            cursor.execute("SET enable_seqscan = off")
            try:
                cursor.execute("SELECT call_id, bool_or(billsec > 0) FROM calls_call WHERE call_id = ANY(%s) "
                               "GROUP BY call_id", [call_ids])
                return dict(cursor.fetchall())
            finally:
                cursor.execute("RESET enable_seqscan")
    stored: dict[str, bool] = {}
    for call_id, billsec in Call.objects.filter(call_id__in=call_ids).values_list("call_id", "billsec"):
        stored[call_id] = stored.get(call_id, False) or billsec > 0
    return stored


def _first_read(rows, reader: RowReader, background: Background) -> tuple[set[int], dict[str, bool], int]:
    """(the lines that are not their call's longest row (the first of equals wins), what is stored
    of the file's call ids, how many calls may be charged): the call ids are looked up beside the reading."""
    best: dict[str, int] = {}
    others: set[int] = set()
    new: list[str] = []
    lookups = []
    identify = reader.identify
    for line, cells in rows:
        call_id, seconds = identify(cells)
        if call_id is None:
            continue  # refused when read
        score = (seconds + 1) << 32 | (_LINE - line)
        held = best.setdefault(call_id, score)
        if held == score:
            new.append(call_id)
            if len(new) == CHUNK:
                lookups.append(background.submit(_stored, new))
                new = []
        elif score > held:
            best[call_id] = score
            others.add(_LINE - (held & _LINE))
        else:
            others.add(line)
    if new:
        lookups.append(background.submit(_stored, new))
    stored: dict[str, bool] = {}
    for lookup in lookups:
        stored.update(background.result(lookup))
    return others, stored, len(best) - sum(stored.values())


class _Checker:
    """Turns lines into rated calls, chunk by chunk."""

    def __init__(self, reader: RowReader, others: set[int], stored: dict[str, bool], report: CDRReport,
                 errors: ErrorReport, db_lock):
        self.reader, self.others, self.stored, self.report, self.errors = reader, others, stored, report, errors
        self.db_lock = db_lock  # the background thread's: it uses the same connection
        self.holdings: dict[str, Holdings | None] = {}
        self.costs = _Costs()
        self.total = 0  # what the first holders pay, in 1/10,000

    def _report(self, rejected: list[tuple]) -> None:
        """The chunk's rejected rows, in file order: (line, cells, call id, reason)."""
        report = self.report
        report.invalid += len(rejected)
        for line, cells, call_id, reason in sorted(rejected, key=lambda rejection: rejection[0]):
            self.errors.add(line, cells, reason)
            if len(report.first_errors) < FIRST_ERRORS:
                report.first_errors.append(Rejected(line, call_id, reason))

    def chunk(self, lines) -> list[tuple]:
        """(row, holdings, chain, costs) of each new, chargeable call of these lines."""
        report, read, others = self.report, self.reader.read, self.others
        report.rows_read += len(lines)
        parsed, rejected, charged = [], [], []
        for line, cells in lines:
            if others and line in others:
                report.other_legs += 1
                continue
            try:
                row = read(cells)
            except RowError as error:
                rejected.append((line, cells, self.reader.shown_id(cells), str(error)))
                continue
            parsed.append((line, cells, row))
        if parsed:
            charged = self._charge(parsed, rejected)
        self._report(rejected)
        return charged

    def _charge(self, parsed: list[tuple], rejected: list[tuple]) -> list[tuple]:
        report, costs, stored = self.report, self.costs, self.stored
        first, last = min(row.started_at for _, _, row in parsed), max(row.started_at for _, _, row in parsed)
        if report.first_call is None or first < report.first_call:
            report.first_call = first
        if report.last_call is None or last > report.last_call:
            report.last_call = last
        unseen = {row.number for _, _, row in parsed} - self.holdings.keys()
        if unseen:
            with self.db_lock:
                found = load_holdings(unseen)
            self.holdings.update({number: found.get(number) for number in unseen})
        holdings_of, known = self.holdings, costs.found
        charged, total = [], 0
        for line, cells, row in parsed:
            holdings = holdings_of[row.number]
            if holdings is None:
                rejected.append((line, cells, row.call_id, f"DID: {display(row.number)} is not one of our DIDs."))
                continue
            if stored:
                answered = stored.get(row.call_id)
                if answered is not None:
                    if answered or not row.billsec:
                        report.already_charged += 1
                        continue
                    report.answered_later += 1
            chain = holdings.chain_at(row.started_at)
            if not chain.levels:
                rejected.append((line, cells, row.call_id,
                                 f"DID: {display(row.number)} had no holder at "
                                 f"{row.started_at:%Y-%m-%d %H:%M:%S %Z}; nobody to charge."))
                continue
            cost = known.get((chain.rates_id, row.billsec)) or costs(chain, row.billsec)
            total += cost.units[0]
            charged.append((row, holdings, chain, cost))
        report.charged += len(charged)
        self.total += total
        report.total = quantize(Decimal(self.total).scaleb(-4))
        return charged


def _open(path: Path):
    try:
        return path.open("rb")
    except OSError as error:  # missing, a folder, no permission: one line, not a traceback
        raise FileError(f"Cannot read {path}: {error.strerror}.") from None


def rate_cdr_file(path: Path, *, write: bool, errors_path: Path | None = None, source: str = CallImport.Source.COMMAND,
                  filename: str = "", by=None, file_format: str = "header", time_zone: str | None = None,
                  country: str | None = None, overrides: dict[int, str] | None = None,
                  mapping: list[str] | tuple = (), progress: Progress | None = None) -> CDRReport:
    """Check (``write=False``: a dry run, nothing written) or rate and charge the file.

    ``file_format``: a key of FORMATS; ``time_zone``: of times without an offset (blank:
    CDR_TIME_ZONE); ``country``: DIDs without a calling code are read in it; ``overrides``
    (column -> field) and ``mapping`` (``--map FIELD=COLUMN``): column choices.
    ``progress(done, total, stage)``: rows of each read ("Reading", then "Charging" or "Checking").
    Raises FileError (ColumnError: the columns as matched cannot be used) when the file as
    a whole cannot be used, ValueError for an unknown zone or country, OptionError for a bad --map."""
    zone, country = read_zone(time_zone), read_country(country)
    report = CDRReport(time_zone=zone.key, country=country)

    def rows(stream, stage: str):
        return track(read_columns(stream, file_format, overrides=overrides, mapping=mapping)[1], progress,
                     total=total, stage=stage)

    with _open(path) as stream:
        columns, _ = read_columns(stream, file_format, overrides=overrides, mapping=mapping)
    report.columns = columns
    columns.check()
    reader = RowReader(columns, billsec=FORMATS[file_format].billsec, zone=zone, country=country, now=timezone.now())
    errors = ErrorReport(errors_path, columns.header)  # a bad --errors path fails before the long reads
    # About the rows after the header (blank lines are counted too), counted ahead on the file's bytes.
    total = count_lines(path) - columns.has_header if progress else None
    try:
        with transaction.atomic() if write else contextlib.nullcontext():
            if write:
                one_at_a_time(IMPORT_LOCK)  # before anything is looked up; SQLite: the first write's lock
            background = Background()
            try:
                with _open(path) as stream:
                    others, stored, at_most = _first_read(rows(stream, "Reading"), reader, background)
                checker = _Checker(reader, others, stored, report, errors, background.lock)
                with _open(path) as stream:
                    if write:
                        _write(path, rows(stream, "Charging"), checker, background, at_most, source=source,
                               filename=filename, by=by)
                    else:
                        for block in chunks(rows(stream, "Checking"), CHUNK):
                            checker.chunk(block)
            finally:
                background.close()
    finally:
        errors.close()
    return report


def verify_references(first: int, last: int) -> None:
    """What the foreign keys left out (calls/models.py, REFERENCES) would have checked row by row,
    checked for the calls ``first``..``last`` and their charges in three set-based queries (hashed
    NOT IN and an anti-join: a second or two for a million calls, where the row-by-row checks took 30)."""
    checks = {
        "a call's DID or CDR import": "SELECT count(*) FROM calls_call WHERE id BETWEEN %s AND %s AND "
                                      "(did_id NOT IN (SELECT id FROM dids_did) "
                                      "OR import_batch_id NOT IN (SELECT id FROM calls_callimport))",
        "a charge's call": "SELECT count(*) FROM calls_callcharge cc LEFT JOIN calls_call c ON c.id = cc.call_id "
                           "WHERE cc.call_id BETWEEN %s AND %s AND c.id IS NULL",
        "a charge's account": "SELECT count(*) FROM calls_callcharge WHERE call_id BETWEEN %s AND %s AND "
                              "(account_id NOT IN (SELECT id FROM accounts_account) OR (seller_id IS NOT NULL "
                              "AND seller_id NOT IN (SELECT id FROM accounts_account)))",
    }
    with connection.cursor() as cursor:
        for what, sql in checks.items():
            cursor.execute(sql, [first, last])
            missing = cursor.fetchone()[0]
            if missing:
                raise IntegrityError(f"CDR import: {missing:,} rows name {what} that does not exist; nothing was "
                                     "charged.")


def _write(path, rows, checker: _Checker, background: Background, at_most: int, *, source, filename, by) -> None:
    report = checker.report
    record = CallImport.objects.create(source=source, filename=(filename or path.name)[:255],
                                       checksum=checksum(path), created_by=acting_user(by),
                                       file_format=report.layout[:100], time_zone=report.time_zone,
                                       country=report.country)
    writer, totals = open_writer(record.pk, background, at_most), DailyTotals()
    for block in chunks(rows, CHUNK):
        charged = checker.chunk(block)
        writer.add(charged)
        totals.add(charged)
    writer.flush()
    if writer.ids:
        verify_references(*writer.ids)
    numbers = {holdings.did_id: holdings.number for holdings in checker.holdings.values() if holdings}
    report.ledger_lines = totals.post(numbers, record.pk)
    record.rows_read, record.charged, record.already_charged = report.rows_read, report.charged, report.already_charged
    record.other_legs, record.invalid, record.total = report.other_legs, report.invalid, report.total
    record.save()
    report.import_record = record
    # One audit row per CDR import, with its totals: its calls and statement lines are the detail.
    audit("calls.charged", obj=record, by=by,
          summary=f"{record} ({record.get_source_display()}, {record.filename}): {report.charged:,} calls charged, "
                  f"first holders pay {fmt(report.total)} USD; {report.already_charged:,} already charged, "
                  f"{report.other_legs:,} other legs, {report.invalid:,} rejected",
          changes={"calls": (None, report.charged), "total": (None, report.total),
                   "ledger_lines": (None, report.ledger_lines), "already_charged": (None, report.already_charged),
                   "other_legs": (None, report.other_legs), "rejected": (None, report.invalid)})
