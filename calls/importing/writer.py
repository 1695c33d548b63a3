"""Writing rated calls and their per-level charges: COPY on PostgreSQL (a million
calls), bulk_create elsewhere (SQLite, the zero-setup default).

On PostgreSQL the import's background thread (calls/importing/background.py) sends each
block with COPY while the import reads and rates the next: the server inserts, keeps the
indexes and checks the foreign keys on one core while Python works on the other. A
failed COPY is raised at the next block; the transaction rolls back whole.
"""

import io
from collections import deque
from typing import NamedTuple

from calls.models import Call, CallCharge

BLOCK = 20_000  # calls per write


class Costs(NamedTuple):
    """What each level of a chain pays for one call, top-down."""

    amounts: tuple  # Decimal, 4 places
    texts: tuple[str, ...]  # as COPY takes them ("0.4700")
    units: tuple[int, ...]  # in 1/10,000 (exact integer sums)


class _BulkWriter:
    """Any database: model instances through bulk_create, which sets the calls' ids."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.calls: list[tuple] = []  # (row, holdings, chain, costs)
        self.ids: tuple[int, int] | None = None  # the first and last id of the calls written

    def _wrote(self, first: int, last: int) -> None:
        self.ids = (first, last) if self.ids is None else (min(first, self.ids[0]), max(last, self.ids[1]))

    def add(self, calls: list[tuple]) -> None:
        """``calls``: (row, holdings, chain, costs) of each call to write."""
        self.calls += calls
        if len(self.calls) >= BLOCK:
            self._send(self.calls)
            self.calls = []

    def flush(self) -> None:
        """Write what is left; on return every call added is in the database."""
        if self.calls:
            self._send(self.calls)
            self.calls = []

    def _send(self, calls) -> None:
        rows = [Call(call_id=row.call_id, did_id=holdings.did_id, started_at=row.started_at, billsec=row.billsec,
                     import_batch_id=self.import_id) for row, holdings, _, _ in calls]
        Call.objects.bulk_create(rows, batch_size=2000)
        self._wrote(rows[0].pk, rows[-1].pk)
        CallCharge.objects.bulk_create(
            [CallCharge(call_id=call.pk, account_id=level.account_id, seller_id=level.seller_id, level=n,
                        amount=amount, started_at=call.started_at)
             for call, (_, _, chain, costs) in zip(rows, calls)
             for n, (level, amount) in enumerate(zip(chain.levels, costs.amounts), start=1)],
            batch_size=2000,
        )


class _CopyWriter(_BulkWriter):
    """PostgreSQL: two COPYs (text format) per block, sent by the import's background thread
    while the next block is read. The calls' ids come from their sequence, taken before the
    first block for as many calls as the file may charge (the first read says how many)."""

    def __init__(self, import_id: int, background, at_most: int):
        super().__init__(import_id)
        self.background = background
        self._ids: list[int] = []
        self._reserved = background.submit(_reserve, max(at_most, 1))  # while the first block is read
        self._sent: deque = deque()  # blocks being written
        self._prefixes: dict[int, tuple[str, ...]] = {}  # chain key -> "account\tseller\tlevel\t" per level
        self._starts: dict = {}  # started_at -> its text

    def _send(self, calls) -> None:
        if len(self._sent) >= 2:  # at most one block waiting: memory stays flat
            self.background.result(self._sent.popleft())
        self._sent.append(self.background.submit(_copy, *self._text(calls)))

    def flush(self) -> None:
        super().flush()
        while self._sent:
            self.background.result(self._sent.popleft())

    def _take(self, count: int) -> list[int]:
        if self._reserved is not None:
            self._ids = self.background.result(self._reserved)
            self._reserved = None
        if len(self._ids) < count:  # more calls than the first read counted: cannot happen, but never fail
            self._ids += self.background.result(self.background.submit(_reserve, count))
        taken, self._ids = self._ids[:count], self._ids[count:]
        self._wrote(taken[0], taken[-1])
        return taken

    def _prefix(self, chain) -> tuple[str, ...]:
        found = self._prefixes.get(chain.key)
        if found is None:
            found = self._prefixes[chain.key] = tuple(
                f"{level.account_id}\t{level.seller_id if level.seller_id is not None else chr(92) + 'N'}\t{n}\t"
                for n, level in enumerate(chain.levels, start=1))
        return found

    def _start(self, moment) -> str:
        found = self._starts.get(moment)
        if found is None:
            if len(self._starts) > 200_000:
                self._starts.clear()
            found = self._starts[moment] = moment.isoformat()
        return found

    def _text(self, calls) -> tuple[str, str]:
        """The two COPYs' data: calls, and their charges."""
        call_lines, charge_lines = [], []
        tail = f"\t{self.import_id}\n"
        prefix, start = self._prefix, self._start
        for pk, (row, holdings, chain, costs) in zip(self._take(len(calls)), calls):
            started = start(row.started_at)
            call_id = row.call_id
            if "\\" in call_id:  # COPY's text format: the one character a printable call id can need escaped
                call_id = call_id.replace("\\", "\\\\")
            call_lines.append(f"{pk}\t{call_id}\t{holdings.did_id}\t{started}\t{row.billsec}{tail}")
            for level, amount in zip(prefix(chain), costs.texts):
                charge_lines.append(f"{pk}\t{level}{amount}\t{started}\n")
        return "".join(call_lines), "".join(charge_lines)


def _reserve(db, count: int) -> list[int]:
    """Ids for ``count`` calls from their sequence (unused ones are gaps, as after a rollback)."""
    with db.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('calls_call', 'id')) FROM generate_series(1, %s)",
                       [count])
        return [pk for (pk,) in cursor.fetchall()]


def _copy(db, calls: str, charges: str) -> None:
    """In the thread: the server's part, while Python reads on."""
    with db.cursor() as cursor:
        cursor.copy_expert("COPY calls_call (id, call_id, did_id, started_at, billsec, import_batch_id) FROM STDIN",
                           io.StringIO(calls), size=1 << 22)
        cursor.copy_expert("COPY calls_callcharge (call_id, account_id, seller_id, level, amount, started_at) "
                           "FROM STDIN", io.StringIO(charges), size=1 << 22)


def open_writer(import_id: int, background, at_most: int):
    """``at_most``: how many calls the file may charge (the ids taken beforehand)."""
    return _CopyWriter(import_id, background, at_most) if background.threaded else _BulkWriter(import_id)
