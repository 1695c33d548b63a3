"""Races for PostgreSQL tests: callables run in threads released together."""

import threading

from django.db import connection


def race(calls):
    """Run each callable in its own thread, all released at once; return their
    results or the exceptions they raised, in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        try:
            connection.ensure_connection()  # connect before the barrier, so the start is tight
            barrier.wait(timeout=20)
            outcomes[i] = call()
        except BaseException as error:  # the caller inspects what went wrong
            outcomes[i] = error
        finally:
            connection.close()  # each thread has its own connection; never leak it

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racing thread hung (deadlock?)"
    return outcomes
