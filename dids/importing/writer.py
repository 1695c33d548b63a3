"""Writes checked rows as new DIDs of one import, in one transaction: all or nothing.

Two ways, one result:

- ``Spool`` (SQLite, and PostgreSQL for small files): rows are spooled to a
  temporary CSV file while the input is checked (a million rows never sit in
  memory); ``finish`` then opens the transaction and inserts them all.
- ``BackgroundWriter`` (PostgreSQL, files of DID_IMPORT_BACKGROUND_MB or more):
  a thread with its own connection and transaction inserts each block of checked
  rows while the caller checks the next block, so Python's checking and
  PostgreSQL's index updates run side by side on two cores; ``finish`` commits.

Rows go through a temporary table (COPY) and one INSERT ... SELECT in number
order (the B-tree indexes on number then grow at one end: 40 s instead of 98 s
for a million shuffled numbers); a number another admin created since the check
is skipped (ON CONFLICT (number) DO NOTHING) and counted as a duplicate instead
of failing the import.
"""

import csv
import io
import queue
import tempfile
import threading

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit import context as audit_context
from audit.record import record as audit
from dids.importing.cells import FIELDS
from dids.models import DID, DIDImport

BLOCK = 20_000  # rows per INSERT of the background writer

# Columns written from a row, in spool order; currency columns after their amount.
_COLUMNS: list[tuple[str, str]] = []  # (column, source field or '' for the currency)
for _field in DID._meta.concrete_fields:
    if _field.name in FIELDS:
        _COLUMNS.append((_field.column, _field.name))
    elif _field.name.endswith("_currency") and _field.name.removesuffix("_currency") in FIELDS:
        _COLUMNS.append((_field.column, ""))
SPOOL_COLUMNS = [column for column, _ in _COLUMNS]
_NAMES = ", ".join(SPOOL_COLUMNS)
_TARGET = f"{_NAMES}, import_batch_id, created_at, updated_at"


class _Rows:
    """Checked rows as CSV lines (quoted "" is '' for COPY, never NULL)."""

    def __init__(self, file):
        self.file = file
        self.csv = csv.writer(file, quoting=csv.QUOTE_ALL)
        self.count = 0
        self._currency = settings.PORTAL_CURRENCY
        self._fields = [name for _, name in _COLUMNS]

    def add(self, values: dict) -> None:
        currency = self._currency
        self.csv.writerow([values[name] if name else currency for name in self._fields])
        self.count += 1


def _copy_and_insert(cursor, rows_file, import_id: int, now) -> int:
    """PostgreSQL: COPY the rows into the temporary table, insert them, empty it.
    A plain INSERT first (every number was checked as new; ON CONFLICT costs a
    tenth more); if someone created one of them since, that block again without it."""
    cursor.copy_expert(f"COPY did_import_rows ({_NAMES}) FROM STDIN WITH (FORMAT csv)", rows_file)
    insert = (f"INSERT INTO dids_did ({_TARGET}) SELECT {_NAMES}, %s, %s, %s FROM did_import_rows "
              "ORDER BY number")
    try:
        with transaction.atomic():  # a savepoint: only this block is undone
            cursor.execute(insert, [import_id, now, now])
    except IntegrityError:
        cursor.execute(insert + " ON CONFLICT (number) DO NOTHING", [import_id, now, now])
    created = cursor.rowcount
    cursor.execute("TRUNCATE did_import_rows")
    return created


def _create_temp_table(cursor) -> None:
    cursor.execute(f"CREATE TEMP TABLE did_import_rows ON COMMIT DROP AS SELECT {_NAMES} FROM dids_did WITH NO DATA")


def _complete(imported: DIDImport, created: int, *, rows_read: int, invalid: int, duplicates: int,
              checked_new: int) -> DIDImport | None:
    """Record the final counts; an import that created nothing is rolled back (no trace).
    Rows checked as new but not created were created by someone else meanwhile: duplicates."""
    if not created:
        transaction.set_rollback(True)
        return None
    imported.rows_read, imported.invalid, imported.created = rows_read, invalid, created
    imported.duplicates = duplicates + checked_new - created
    imported.save()
    # One audit row per import, with its counts: the import lists its own DIDs (Show its DIDs).
    audit("dids.imported", obj=imported, by=imported.created_by,
          summary=f"{imported} ({imported.get_source_display()}{', ' + imported.filename if imported.filename else ''}): "
                  f"{created:,} DIDs created, {imported.duplicates:,} duplicates, {invalid:,} invalid",
          changes={"created": (None, created), "duplicates": (None, imported.duplicates), "invalid": (None, invalid),
                   "rows_read": (None, rows_read)})
    return imported


class Spool:
    def __init__(self, record: dict):
        self.record = record
        self.file = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")
        self.rows = _Rows(self.file)

    def add(self, values: dict) -> None:
        self.rows.add(values)

    def finish(self, counts: dict) -> DIDImport | None:
        self.file.flush()
        self.file.seek(0)
        now = timezone.now()
        with transaction.atomic():
            imported = DIDImport.objects.create(**self.record)
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    _create_temp_table(cursor)
                    created = _copy_and_insert(cursor, self.file, imported.pk, now)
                else:
                    created = self._executemany(cursor, imported.pk, now)
            return _complete(imported, created, **counts)

    def _executemany(self, cursor, import_id: int, now) -> int:
        placeholders = ", ".join(["%s"] * (len(SPOOL_COLUMNS) + 3))
        sql = f"INSERT INTO dids_did ({_TARGET}) VALUES ({placeholders}) ON CONFLICT (number) DO NOTHING"
        batch = []
        for row in csv.reader(self.file):
            batch.append(row + [import_id, now, now])
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
        return DID.objects.filter(import_batch_id=import_id).count()

    def close(self) -> None:
        self.file.close()


class _Abort(Exception):
    """The checking side stopped (an error, or nothing to import): roll back."""


_ABORT = object()


class BackgroundWriter:
    _DONE = object()

    def __init__(self, record: dict):
        self.record = record
        self.blocks: queue.Queue = queue.Queue(maxsize=2)  # back pressure: at most ~3 blocks in memory
        self.error: BaseException | None = None
        self.result: DIDImport | None = None
        self.counts: dict = {}
        self._block = self._new_block()
        # The thread writes the import's audit row: it carries the caller's audit context (who, from where).
        self.thread = threading.Thread(target=audit_context.bound(self._run), name="did-import-writer", daemon=True)
        self.thread.start()

    @staticmethod
    def _new_block() -> _Rows:
        return _Rows(io.StringIO(newline=""))

    def add(self, values: dict) -> None:
        self._block.add(values)
        if self._block.count == BLOCK:
            self._send(self._block)
            self._block = self._new_block()

    def finish(self, counts: dict) -> DIDImport | None:
        if self._block.count:
            self._send(self._block)
        self.counts = counts
        self._send(self._DONE)
        self.thread.join()
        if self.error:
            raise self.error
        return self.result

    def close(self) -> None:
        """After an error on the checking side: make the thread roll back and stop."""
        if self.thread.is_alive():
            self._send(_ABORT)
            self.thread.join()

    def _send(self, item) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.blocks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        now = timezone.now()
        try:
            with transaction.atomic():
                imported = DIDImport.objects.create(**self.record)
                created = 0
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys checked block by block, not at commit
                    _create_temp_table(cursor)
                    while (block := self.blocks.get()) is not self._DONE:
                        if block is _ABORT:
                            raise _Abort()
                        block.file.seek(0)
                        created += _copy_and_insert(cursor, block.file, imported.pk, now)
                self.result = _complete(imported, created, **self.counts)
        except _Abort:
            pass
        except BaseException as error:  # handed to the checking side, which raises it
            self.error = error
        finally:
            connection.close()


def open_writer(record: dict, size_bytes: int):
    """The writer for an import of about ``size_bytes`` of input."""
    background = settings.DID_IMPORT_BACKGROUND_MB * 1024 * 1024
    if connection.vendor == "postgresql" and size_bytes >= background:
        return BackgroundWriter(record)
    return Spool(record)
