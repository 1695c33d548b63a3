"""A CSV file of DIDs through the import pipeline (preview or write), with the
admin's choices: the columns' matching, whose the carrier prices are, the country
for numbers without one and values for rows without their own."""

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from dids.importing.cells import Providers, Readings, RowReader
from dids.importing.columns import HeaderError, Plan, plan, refusal
from dids.importing.pipeline import Report, Source, run
from core.importing.reader import read_table
from core.importing.rows import checksum
from core.progress import Progress, count_lines, track
from dids.models import DIDImport

SAMPLE_ROWS = 3  # first values shown for each column


def earlier_import(digest: str) -> DIDImport | None:
    """The last import (not undone) of a file with the same content, if any."""
    return DIDImport.objects.filter(checksum=digest, undone_at__isnull=True).first()


@dataclass
class Choices:
    """What the admin chose for a file: the same on the page, in the pending preview and on the command."""

    country: str = ""  # ISO code: numbers without a Country are read (and stored) in it
    defaults: dict = field(default_factory=dict)  # field -> value for rows without their own (cells' types)
    overrides: dict[int, str] = field(default_factory=dict)  # column -> field, or "" for not used
    prices: str = ""  # carrier price terms are the provider's "cost" or our "sell" price


@dataclass
class Preview:
    plan: Plan
    report: Report | None  # None: the plan has open questions and no row was checked
    header: list[str]
    samples: list[list[str]]  # the first rows, as in the file
    decimal_comma: bool


def preview_csv(path: Path, *, default_provider, choices: Choices | None = None,
                errors_path: Path | None = None, progress: Progress | None = None) -> Preview:
    """How the file would be read and, when nothing is left to settle, what every row would
    become (nothing written). Raises FileError when the file as a whole cannot be read.
    ``progress(done, total, stage)``: rows checked of about ``total``."""
    return _go(path, default_provider, choices or Choices(), write=False, errors_path=errors_path, progress=progress)


def inspect_csv(path: Path, *, choices: Choices | None = None) -> Preview:
    """Only how the columns would be read (no row is checked)."""
    return _go(path, None, choices or Choices(), write=False, errors_path=None, rows=False)


def import_csv(path: Path, *, default_provider, choices: Choices | None = None, write: bool,
               errors_path: Path | None = None, source_kind: str = DIDImport.Source.COMMAND, filename: str = "",
               by=None, progress: Progress | None = None) -> Report:
    """Preview (``write=False``) or import the file. Raises FileError (HeaderError when the
    columns leave a question open) when the file as a whole cannot be used.
    ``progress(done, total, stage)``: rows checked (and handed to the writer) of about ``total``."""
    record = dict(source=source_kind, filename=filename or path.name, provider=default_provider)
    result = _go(path, default_provider, choices or Choices(), write=write, errors_path=errors_path, record=record,
                 by=by, progress=progress)
    if result.report is None:
        raise HeaderError(refusal(result.plan))
    return result.report


def _go(path, default_provider, choices: Choices, *, write, errors_path, record=None, by=None, rows=True,
        progress: Progress | None = None) -> Preview:
    with path.open("rb") as stream:
        table = read_table(stream)
        samples = list(itertools.islice(table.rows, SAMPLE_ROWS))
        decimal_comma = table.delimiter == ";"
        found = plan(table.header, overrides=choices.overrides, prices=choices.prices,
                     has_default=set(choices.defaults))
        if not found.complete or not rows:
            return Preview(found, None, table.header, [cells for _, cells in samples], decimal_comma)
        positions = {name: index for name, index in found.positions.items()}
        parse = RowReader(positions, Providers(default_provider), country=choices.country, defaults=choices.defaults,
                          decimal_comma=decimal_comma)
        readings = Readings(positions["number"])
        lines = itertools.chain(samples, table.rows)
        if progress is not None:  # the rows after the header, counted ahead on the file's bytes
            total = count_lines(path) - bool(table.header)
            lines = track(lines, progress, total=total, stage="Importing" if write else "Checking")
        source = Source(lines, parse, positions["number"], table.header,
                        found.ignored, observe=readings.observe, read_as=True)
        if write:  # the file's hash only for an import that is written (the preview's caller hashes it once itself)
            record = dict(record or {}, checksum=checksum(path))
        report = run(source, errors_path=errors_path, write=write, record=record, by=by,
                     size_bytes=path.stat().st_size)
        report.readings = readings
        return Preview(found, report, table.header, [cells for _, cells in samples], decimal_comma)
