"""What both imports (DIDs, CDRs) do with rows: refuse one with a reason (RowError), report
every refused row (Rejected, ErrorReport), work in chunks of rows (one query per chunk), and
know a file by its content (checksum)."""

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.csv_stream import spreadsheet_safe
from core.importing.reader import FileError

CHUNK = 5000  # rows checked against the database per query
FIRST_ERRORS = 20  # rejected rows shown on a preview


class RowError(ValueError):
    """Why a row is refused, fit for the error report (names the column). ``read_as``: the
    number as it would be stored, when it could be read."""

    read_as = ""


@dataclass
class Rejected:
    line: int
    number: str  # the row's key as in the file: a DID, or a call id
    reason: str
    read_as: str = ""  # the number as it would be stored, when it could be read


class ErrorReport:
    """Rejected rows as CSV: Line, Reason (and with ``read_as``, Read as: the number as it
    would be stored), then the row as it was (same header), so the file can be corrected
    and imported again. Cells that a spreadsheet would run as a formula are written as
    Export CSV writes them (after an apostrophe, which the imports take off again)."""

    def __init__(self, path: Path | None, header: list[str], *, read_as: bool = False):
        try:
            self.file = path.open("w", newline="", encoding="utf-8") if path else None
        except OSError as error:  # a missing folder or no permission: one line, not a traceback
            raise FileError(f"Cannot write the rejected rows to {path}: {error.strerror}.") from None
        self.read_as = read_as
        if self.file:
            self.csv = csv.writer(self.file)
            self.csv.writerow(["Line", "Reason"] + (["Read as"] if read_as else [])
                              + [spreadsheet_safe(cell) for cell in header])

    def add(self, line: int, cells: list[str], reason: str, read_as: str = "") -> None:
        if self.file:
            self.csv.writerow([line, spreadsheet_safe(reason)] + ([spreadsheet_safe(read_as)] if self.read_as else [])
                              + [spreadsheet_safe(cell) for cell in cells])

    def close(self) -> None:
        if self.file:
            self.file.close()


def chunks(lines: Iterable, size: int = CHUNK) -> Iterator[list]:
    """Lists of ``size`` items (the last one shorter): one database query per list."""
    chunk = []
    for item in lines:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def checksum(path: Path) -> str:
    """SHA-256 of the file's bytes: the same file imported again is recognised."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
