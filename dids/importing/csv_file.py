"""A CSV file of DIDs through the import pipeline (preview or write)."""

import hashlib
from pathlib import Path

from dids.importing.cells import Providers, row_values
from dids.importing.columns import map_header
from dids.importing.pipeline import Report, Source, run
from dids.importing.reader import read_rows
from dids.models import DIDImport


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def earlier_import(digest: str) -> DIDImport | None:
    """The last import (not undone) of a file with the same content, if any."""
    return DIDImport.objects.filter(checksum=digest, undone_at__isnull=True).first()


def import_csv(path: Path, *, default_provider, write: bool, errors_path: Path | None = None,
               source_kind: str = DIDImport.Source.COMMAND, filename: str = "", by=None) -> Report:
    """Preview (``write=False``) or import the file. Raises FileError (HeaderError)
    when the file as a whole cannot be used."""
    with path.open("rb") as stream:
        header, lines = read_rows(stream)
        columns = map_header(header)
        providers = Providers(default_provider)
        source = Source(lines, lambda cells: row_values(cells, columns, providers), columns.positions["number"],
                        header, columns.ignored)
        # The file's hash only for an import that is written (the preview's caller hashes it once itself).
        record = dict(source=source_kind, filename=filename or path.name, checksum=checksum(path) if write else "",
                      provider=default_provider)
        return run(source, errors_path=errors_path, write=write, record=record, by=by, size_bytes=path.stat().st_size)
