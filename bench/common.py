"""Shared pieces of the benchmarks: the benchmark database, Django set-up,
timing, percentiles, threads released together, and machine facts.

The benchmark always runs in a database of its own, dropped and created at
every run, so it can never damage the data of the tests or of the developer:
the server and login come from DATABASE_URL (default below), the database
name always ends in ``_bench`` (``.../postgres`` becomes ``postgres_bench``).

Sizes: every benchmark runs at ``full`` size (the figures of bench/RESULTS.md) or
``tiny`` (a few seconds, every code path of the module, its SQL and its checks:
what tests/test_benchmarks_smoke.py runs). ``run(size)`` takes the size; without
one it reads BENCH_SIZE (default ``full``).
"""

import os
import platform
import threading
import time
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/didportal_bench"


SIZE_NAMES = ("full", "tiny")


class BenchError(SystemExit):
    """A clear message instead of a traceback (wrong database, missing server)."""


def size_name(size: str | None = None) -> str:
    """The size to run at: ``size`` if given, else BENCH_SIZE, else ``full``."""
    name = size or os.environ.get("BENCH_SIZE") or "full"
    if name not in SIZE_NAMES:
        raise BenchError(f"Unknown benchmark size {name!r}: one of {', '.join(SIZE_NAMES)}")
    return name


def sized(sizes: dict[str, dict], size: str | None = None) -> SimpleNamespace:
    """A module's figures at the chosen size, as attributes (``n.purchases``); ``n.size`` is its name.
    Every module gives every size of SIZE_NAMES (tests/test_benchmarks_smoke.py checks)."""
    name = size_name(size)
    return SimpleNamespace(size=name, **sizes[name])


def bench_url(suffix: str = "") -> str:
    """The benchmark database's URL: DATABASE_URL's server and login, its database name
    (without ``_bench``) + ``suffix`` + ``_bench``. ``bench_url("_smoke")`` is the smoke test's."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise BenchError(f"The benchmark runs on PostgreSQL only; DATABASE_URL is {parts.scheme}://...")
    name = parts.path.lstrip("/") or "didportal"
    if name.endswith("_bench"):
        name = name[: -len("_bench")]
    name += suffix + "_bench"  # never the developer's or the tests' database
    return urlunsplit(parts._replace(path="/" + name))


def _connect(url: str, dbname: str | None = None):
    import psycopg2

    parts = urlsplit(url)
    return psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname=dbname or parts.path.lstrip("/"),
    )


def _server(url: str):
    """An autocommit connection to the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    try:
        conn = _connect(url, dbname="postgres")
    except Exception as error:  # psycopg2.OperationalError: no server, wrong login
        raise BenchError(f"Cannot reach PostgreSQL for the benchmark ({url}): {error}") from error
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    return conn


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    assert name.endswith("_bench"), name  # the one guard that matters: only ever drop a _bench database
    conn = _server(url)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def recreate_database(url: str, template: str | None = None) -> None:
    """DROP and CREATE the benchmark database, empty or as a copy of the database ``template``
    (which nobody may be connected to: an autovacuum worker may be, for a moment, so retry)."""
    import psycopg2

    name = urlsplit(url).path.lstrip("/")
    drop_database(url)
    conn = _server(url)
    try:
        for attempt in range(60):
            try:
                with conn.cursor() as cur:
                    cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
                return
            except psycopg2.errors.ObjectInUse:
                if attempt == 59:
                    raise
                time.sleep(0.5)
    finally:
        conn.close()


@contextmanager
def use_database(url: str):
    """Point the running Django (already set up, e.g. by pytest-django) at the database of ``url``
    for the block, and DATABASE_URL with it (what the benchmarks' subprocesses read); the
    previous database afterwards. The server and login stay those of the settings."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict  # the dict every thread's connection is made from
    saved_name, saved_url = settings_dict["NAME"], os.environ.get("DATABASE_URL")
    connections.close_all()
    settings_dict["NAME"] = urlsplit(url).path.lstrip("/")
    os.environ["DATABASE_URL"] = url
    try:
        yield
    finally:
        connections.close_all()
        settings_dict["NAME"] = saved_name
        if saved_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved_url


def setup_django(url: str) -> None:
    """Point Django at the benchmark database, set it up and migrate it."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_portal.settings")
    import warnings

    import django
    from django.conf import settings

    # WhiteNoise looks for STATIC_ROOT, which only collectstatic makes (as in pyproject's pytest settings).
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    from django.core.management import call_command

    django.setup()
    # Development settings (no collectstatic needed for the pages) but without
    # DEBUG's per-query log and template debugging, which would skew the timings.
    settings.DEBUG = False
    call_command("migrate", verbosity=0, interactive=False)


def fresh_database(url: str) -> None:
    """Drop, create and migrate the benchmark database again, so each benchmark starts
    alone (a million rows left by one, and autovacuum working on them, slow the next)."""
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    recreate_database(url)
    call_command("migrate", verbosity=0, interactive=False)


def machine_facts() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu or platform.processor() or "unknown",
        "PostgreSQL": pg,
        "Python": platform.python_version(),
    }


def percentile(values, p: float) -> float:
    """The p-th percentile (0-100), linear between the two nearest ranks."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (k - low)


def timed_ms(fn, *args, **kwargs) -> tuple[float, object]:
    """(milliseconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def run_threads(workers) -> float:
    """Run each callable in its own thread with its own database connection, all
    released together by a barrier; return the wall time in seconds from the
    release to the last thread's end."""
    from django.db import connection

    barrier = threading.Barrier(len(workers) + 1)
    errors = []

    def run(work):
        try:
            connection.ensure_connection()  # connect before the start, not inside the timing
            barrier.wait()
            work()
        except threading.BrokenBarrierError:
            pass  # another thread failed before the start; its error is reported
        except BaseException as error:  # reported after join
            errors.append(error)
            barrier.abort()  # do not leave the others waiting at the start
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return wall


def markdown_table(rows: list[dict]) -> str:
    if not rows:
        return "(no results)"
    headers = list(rows[0])
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(row.get(h, "")) for h in headers) + " |" for row in rows]
    return "\n".join(lines)
