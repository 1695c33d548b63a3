"""Writing rated calls and their per-level charges: COPY on PostgreSQL (a
million calls), bulk_create elsewhere (SQLite, the zero-setup default)."""

import csv
import io

from django.db import connection

from calls.models import Call, CallCharge

BLOCK = 20_000  # calls buffered before a write


class _BulkWriter:
    """Any database: model instances through bulk_create, which sets the calls' ids."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.calls: list[tuple] = []  # (row, did_id, charges)

    def add(self, row, did_id: int, charges: list[tuple]) -> None:
        """``charges``: (account_id, seller_id, level, amount) per level, top first."""
        self.calls.append((row, did_id, charges))
        if len(self.calls) >= BLOCK:
            self.flush()

    def flush(self) -> None:
        if not self.calls:
            return
        calls = [Call(call_id=row.call_id, did_id=did_id, started_at=row.started_at, billsec=row.billsec,
                      import_batch_id=self.import_id) for row, did_id, _ in self.calls]
        Call.objects.bulk_create(calls, batch_size=2000)
        CallCharge.objects.bulk_create(
            [CallCharge(call_id=call.pk, account_id=account, seller_id=seller, level=level, amount=amount,
                        started_at=call.started_at)
             for call, (_, _, charges) in zip(calls, self.calls) for account, seller, level, amount in charges],
            batch_size=2000,
        )
        self.calls = []


class _CopyWriter(_BulkWriter):
    """PostgreSQL: ids taken from the calls' sequence, then two COPYs per block."""

    def flush(self) -> None:
        if not self.calls:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('calls_call', 'id')) FROM generate_series(1, %s)",
                           [len(self.calls)])
            ids = [row[0] for row in cursor.fetchall()]
            calls, charges = io.StringIO(), io.StringIO()
            call_rows, charge_rows = csv.writer(calls), csv.writer(charges)
            for call_pk, (row, did_id, levels) in zip(ids, self.calls):
                started = row.started_at.isoformat()
                call_rows.writerow((call_pk, row.call_id, did_id, started, row.billsec, self.import_id))
                charge_rows.writerows((call_pk, account, "" if seller is None else seller, level, amount, started)
                                      for account, seller, level, amount in levels)
            calls.seek(0)
            charges.seek(0)
            cursor.copy_expert("COPY calls_call (id, call_id, did_id, started_at, billsec, import_batch_id) "
                               "FROM STDIN WITH (FORMAT csv)", calls)
            cursor.copy_expert("COPY calls_callcharge (call_id, account_id, seller_id, level, amount, started_at) "
                               "FROM STDIN WITH (FORMAT csv)", charges)
        self.calls = []


def open_writer(import_id: int):
    return _CopyWriter(import_id) if connection.vendor == "postgresql" else _BulkWriter(import_id)
