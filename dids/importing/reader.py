"""A CSV file as (line number, cells): UTF-8 with or without BOM, quoted fields
(commas and line breaks inside quotes), comma, semicolon or tab separated,
blank lines skipped. Line numbers are those a spreadsheet shows (header = 1)."""

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO


class FileError(ValueError):
    """The file as a whole cannot be read; nothing is imported."""


class _Semicolon(csv.excel):
    delimiter = ";"


def _dialect(first_line: str):
    """Excel's CSV rules with the separator the header uses most. (csv.Sniffer
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


def read_rows(stream: BinaryIO) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """(header cells, iterator of (line number, cells) for every non-blank line after it)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        raise FileError("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.") from None
    if not first.strip():
        raise FileError("The file is empty; its first line must name the columns.")
    dialect = _dialect(first)
    header = next(csv.reader([first], dialect))

    def rows():
        reader = csv.reader(text, dialect)
        last_line = 1
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
                raise FileError(f"Line {reader.line_num + 1}: {error}.") from None
            start, last_line = last_line + 1, reader.line_num + 1
            if any(c.strip() for c in cells):
                yield start, cells

    return header, rows()
