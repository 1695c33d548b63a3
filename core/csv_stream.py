"""Streaming CSV downloads: a header and rows written line by line, never the
whole file in memory (a million DIDs or ledger entries)."""

import csv
from collections.abc import Iterable, Iterator

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = frozenset({"=", "+", "-", "@", "\t", "\r"})


def spreadsheet_safe(text: str) -> str:
    """Typed text for a CSV a person opens: after an apostrophe when it would start a formula
    (the imports take the apostrophe off again: ``as_typed``)."""
    return f"'{text}" if text[:1] in FORMULA_START else text


def as_typed(text: str) -> str:
    """The text ``spreadsheet_safe`` was given back (an exported or reported cell read again)."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_START else text


class _Echo:
    """A file-like object whose write() hands the line back."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def csv_download(lines: Iterator[str], name: str) -> StreamingHttpResponse:
    """``name``-YYYYMMDD-HHMM.csv as an attachment."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"  # account data: never kept by a shared cache
    return response


def csv_file_download(path, name: str) -> FileResponse:
    """A CSV file kept on disk (an import's rejected rows) as an attachment; 404 when it is gone."""
    if not path.exists():
        raise Http404("No error report")
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type="text/csv")
