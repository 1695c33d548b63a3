"""Database work beside a CDR import: on PostgreSQL one thread runs it, in order, on the
import's own connection (inside its transaction) while the import reads and rates rows;
the server works on one core, Python on the other. Elsewhere (SQLite) it runs at once.

psycopg2 lets another thread onto a connection while a COPY's data is being sent, so the
work holds ``lock`` and the import holds it too around its own queries.
"""

import contextlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection


class Background:
    def __init__(self):
        self.threaded = connection.vendor == "postgresql"
        if self.threaded:
            connection.ensure_connection()
            self.db = connection.connection  # psycopg2's own: shared by both threads
            self.lock = threading.Lock()
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdr-import")
        else:
            self.db, self.lock, self._executor = None, contextlib.nullcontext(), None

    def submit(self, work, *args) -> Future:
        """Run ``work(db, *args)`` (``db``: the raw connection, None without a thread)."""
        if self._executor is not None:
            return self._executor.submit(self._locked, work, *args)
        done = Future()
        try:
            done.set_result(work(None, *args))
        except BaseException as error:  # raised by result(), as from the thread
            done.set_exception(error)
        return done

    def _locked(self, work, *args):
        with self.lock:
            return work(self.db, *args)

    def close(self) -> None:
        """Wait for the work under way and drop the rest (after a failure nothing else may run:
        the transaction is about to roll back)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def result(future: Future):
        """The result, with psycopg2's errors raised as Django's (IntegrityError...)."""
        with connection.wrap_database_errors:
            return future.result()
