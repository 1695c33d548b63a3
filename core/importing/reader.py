"""A CSV file as (line number, cells): UTF-8 with or without BOM, quoted fields
(commas and line breaks inside quotes), comma, semicolon or tab separated,
blank lines skipped. Line numbers are those a spreadsheet shows (header = 1).

A file that is not text as a whole (a line longer than ``MAX_LINE`` characters, a
cell longer than the csv module's limit, bytes that are not UTF-8) is a FileError
naming the line, never a crash: every import page and command shows it as one line.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE = 65_536  # characters: a CDR or a carrier's row is under 2,000; longer is not a CSV of ours
_FIELD_LIMIT = csv.field_size_limit()


class FileError(ValueError):
    """The file as a whole cannot be read; nothing is imported."""


class _Semicolon(csv.excel):
    delimiter = ";"


@dataclass
class Table:
    header: list[str]  # the first line's cells; [] when the file has no header line
    rows: Iterator[tuple[int, list[str]]]  # (line number, cells) of every non-blank line after the header
    delimiter: str  # "," ";" or "\t": a semicolon file is a European spreadsheet's (decimal commas)


def _dialect(first_line: str):
    """Excel's CSV rules with the separator the first line uses most. (csv.Sniffer
    guesses quoting from one line too, and guesses wrong.)"""
    counts = {",": first_line.count(","), ";": first_line.count(";"), "\t": first_line.count("\t")}
    separator = max(counts, key=counts.get)
    return {";": _Semicolon, "\t": csv.excel_tab}.get(separator, csv.excel)


def _first_bad_line(stream: BinaryIO) -> int:
    """The line (1-based) of the first byte that is not UTF-8."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    for block in iter(lambda: stream.read(1 << 16), b""):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as error:
            return line + block.count(b"\n", 0, error.start)
        line += block.count(b"\n")
    return line


def _too_long(line: int) -> FileError:
    return FileError(f"Line {line} is longer than {MAX_LINE:,} characters: this is not a CSV file of rows "
                     "(or a quote is never closed).")


def _checked_lines(text, first: int) -> Iterator[str]:
    """The text's lines, refusing one longer than MAX_LINE before the csv module holds it."""
    for number, line in enumerate(text, start=first):
        if len(line) > MAX_LINE:
            raise _too_long(number)
        yield line


def _csv_error(line: int, error: csv.Error) -> FileError:
    if "field larger than field limit" in str(error):
        return FileError(f"Line {line}: a cell is longer than {_FIELD_LIMIT:,} characters (a quote never closed?).")
    return FileError(f"Line {line}: {error}.")


def read_table(stream: BinaryIO, *, has_header: bool = True) -> Table:
    """The file's header (unless ``has_header`` is False: switches' CDR files without one)
    and an iterator over its rows. Raises FileError."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline(MAX_LINE + 1)
    except UnicodeDecodeError:
        raise FileError("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.") from None
    if len(first) > MAX_LINE:
        raise _too_long(1)
    if not first.strip():
        raise FileError("The file is empty." if not has_header else "The file is empty; its first line must name "
                        "the columns.")
    dialect = _dialect(first)
    header = []
    if has_header:
        try:
            header = next(csv.reader([first], dialect))
        except csv.Error as error:
            raise _csv_error(1, error) from None

    def rows():
        lines = _checked_lines(text, 2)
        if not has_header:
            lines = _chain_first(first, lines)
        reader = csv.reader(lines, dialect)
        offset = 0 if has_header else -1  # reader.line_num counts the lines it read; the header is not one
        last_line = 1 + offset
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                # Text is decoded ahead of the CSV reader, so find the line in the bytes.
                raise FileError(f"Line {_first_bad_line(stream)} is not UTF-8 text. "
                                "Save the file as “CSV UTF-8”.") from None
            except csv.Error as error:
                raise _csv_error(reader.line_num + 2 + offset, error) from None
            start, last_line = last_line + 1, reader.line_num + 1 + offset
            if (cells and cells[0].strip()) or any(c.strip() for c in cells):  # the first cell decides most rows
                yield start, cells

    return Table(header, rows(), dialect.delimiter)


def _chain_first(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def read_rows(stream: BinaryIO) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """(header cells, iterator of (line number, cells) for every non-blank line after it)."""
    table = read_table(stream)
    return table.header, table.rows
