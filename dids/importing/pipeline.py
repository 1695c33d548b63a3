"""Check every row, then (on confirmation) write the valid ones: the one path
shared by the browser upload, ``manage.py import_dids`` and ranges.

A row is *new* (will be created), a *duplicate* (its number exists, or an
earlier line of the same file has it) or *invalid* (the reason names the
column). Every rejected row goes to an error report with its line number, so
nothing is ever dropped silently. Writing is all or nothing: the valid rows go
in together in one transaction, or none do.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from accounts.models import acting_user
from core.importing.rows import FIRST_ERRORS, ErrorReport, Rejected, RowError, chunks
from core.phone import display
from dids.importing.writer import open_writer
from dids.models import DID, DIDImport

@dataclass
class Report:
    rows_read: int = 0
    new: int = 0
    duplicates: int = 0
    invalid: int = 0
    repeated: int = 0  # of the duplicates: numbers an earlier line of the same file has
    ignored_columns: list[str] = field(default_factory=list)
    first_errors: list[Rejected] = field(default_factory=list)
    import_record: DIDImport | None = None
    readings: object = None  # how the numbers were read (the CSV import's cells.Readings)

    @property
    def rejected(self) -> int:
        return self.duplicates + self.invalid

    @property
    def not_imported(self) -> int:
        """Rows whose content is not in the portal: invalid ones and numbers repeated in the file
        (a number that already exists was imported before)."""
        return self.invalid + self.repeated


@dataclass
class Source:
    """What the pipeline reads: (line number, cells) pairs, how cells become a
    DID's values (or RowError), which cell is the number (for the report) and
    the header (for the error CSV)."""

    lines: Iterable[tuple[int, list[str]]]
    parse: Callable[[list[str]], dict]
    number_at: int
    header: list[str]
    ignored: list[str] = field(default_factory=list)
    observe: Callable[[int, list[str], dict], None] | None = None  # sees each row that parsed
    read_as: bool = False  # the error report gets a "Read as" column (the number as it would be stored)

    def shown_number(self, cells: list[str]) -> str:
        return cells[self.number_at] if self.number_at < len(cells) else ""


def existing_numbers(numbers: list[str]) -> set[str]:
    """Which of these numbers are DIDs already (one query; the B-tree on number serves it,
    the trigram index cannot: migration dids/0007)."""
    return set(DID.objects.filter(number__in=numbers).values_list("number", flat=True))


_INVALID, _REPEATED, _EXISTS = "invalid", "repeated", "exists"


def check(source: Source, report: Report, errors: ErrorReport, writer=None) -> Report:
    """Sort every row into new / duplicate / invalid; hand the new ones to the writer when writing."""
    seen: dict[str, int] = {}  # number -> first line, for duplicates inside the file
    parse, observe = source.parse, source.observe
    for chunk in chunks(source.lines):
        report.rows_read += len(chunk)
        checked, rejected = [], []  # rejected: (line, cells, reason, kind: INVALID, REPEATED or EXISTS, read as)
        for line, cells in chunk:
            try:
                values = parse(cells)
            except RowError as error:
                rejected.append((line, cells, str(error), _INVALID, error.read_as))
                continue
            if observe is not None:
                observe(line, cells, values)
            number = values["number"]
            first = seen.setdefault(number, line)
            if first != line:
                rejected.append((line, cells, f"Duplicate: {display(number)} is also on line {first}.", _REPEATED, number))
            else:
                checked.append((line, cells, values))
        existing = existing_numbers([values["number"] for _, _, values in checked])
        for line, cells, values in checked:
            number = values["number"]
            if number in existing:
                rejected.append((line, cells, f"Duplicate: DID {display(number)} already exists.", _EXISTS, number))
            else:
                report.new += 1
                if writer is not None:
                    writer.add(values)
        for line, cells, reason, kind, read_as in sorted(rejected, key=lambda r: r[0]):  # in file order
            if kind == _INVALID:
                report.invalid += 1
            else:
                report.duplicates += 1
                report.repeated += kind == _REPEATED
            if len(report.first_errors) < FIRST_ERRORS:
                report.first_errors.append(Rejected(line, source.shown_number(cells), reason, read_as))
            errors.add(line, cells, reason, read_as)
    return report


def run(source: Source, *, errors_path: Path | None, write: bool, record: dict | None = None, by=None,
        size_bytes: int = 0) -> Report:
    """Check the rows (the preview) and, when ``write``, create the new DIDs as one
    import. ``record`` holds the DIDImport's own fields (source, filename, ...);
    ``size_bytes`` (of the input) chooses the writer."""
    report = Report(ignored_columns=source.ignored)
    errors = ErrorReport(errors_path, source.header, read_as=source.read_as)
    writer = open_writer(dict(record or {}, created_by=acting_user(by)), size_bytes) if write else None
    try:
        check(source, report, errors, writer)
        if writer is not None and report.new:  # a file with nothing new leaves no trace
            imported = writer.finish(dict(rows_read=report.rows_read, invalid=report.invalid,
                                          duplicates=report.duplicates, checked_new=report.new))
            if imported is not None:
                report.import_record = imported
                report.duplicates, report.new = imported.duplicates, imported.created
    finally:
        errors.close()
        if writer is not None:
            writer.close()
    return report
