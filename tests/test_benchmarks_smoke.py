"""Every benchmark of bench/ at its tiny size, on PostgreSQL: a schema or code change that breaks
a benchmark (its hand-written SQL, an import, its own result checks) fails here, not months later
in `make bench`.

Each benchmark runs as `make bench` runs it, in a database of its own: a copy of a freshly
migrated ``<DATABASE_URL's name>_smoke_template_bench``, named ``..._smoke_bench``, never the
tests' database (the benchmarks drop and rebuild indexes, disable triggers during bulk loads,
create databases of their own and start gunicorn, which must see committed rows). Django and
DATABASE_URL point at that copy for the test (bench.common.use_database) and back afterwards.

Each case checks the table a benchmark returns (its columns, one row per measured thing) and the
benchmark's own verdicts (ledger == balances, no "WRONG", every page 200, no 5xx...). The figures
themselves mean nothing at this size. docs/benchmarks.md describes the sizes. The last tests check
that `make bench` goes on after a failed benchmark and names it (no database needed).
"""

import re
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

import bench.__main__ as bench_main
from bench import common
from bench.__main__ import load, module_names

# Seconds a tiny run may take (the whole file should stay under a minute on 2 cores): a benchmark
# whose tiny size has grown into a real run fails here too.
TINY_SECONDS = 30


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    """Not here (it replaces tests/conftest.py's): the benchmarks run with the project's settings, as
    `make bench` runs them. The load benchmark's users log in to a gunicorn with the production
    settings, which would not read an MD5 password."""


@pytest.fixture(scope="module")
def _template(django_db_blocker):
    """A migrated database to copy for each benchmark; made on first use (never on SQLite, where
    the tests are skipped first), dropped after the module."""
    made = []

    def get() -> str:
        if not made:
            url = common.bench_url("_smoke_template")
            common.recreate_database(url)
            made.append(url)
            with django_db_blocker.unblock(), common.use_database(url):
                call_command("migrate", verbosity=0, interactive=False)
        return _name(made[0])

    yield get
    for url in made:
        common.drop_database(url)


@pytest.fixture
def bench_database(_template, django_db_blocker):
    """A fresh migrated database for one benchmark, with Django and DATABASE_URL pointing at it."""
    url = common.bench_url("_smoke")
    common.recreate_database(url, template=_template())
    try:
        with django_db_blocker.unblock(), common.use_database(url):
            yield url
    finally:
        common.drop_database(url)


# --- what each benchmark must return ---------------------------------------------------------

@dataclass
class Case:
    columns: list[str]
    rows: int | None  # how many rows (None: at least one)
    check: Callable[[list[dict]], None] = field(default=lambda rows: None)


def _column(rows: list[dict], name: str) -> list:
    return [row[name] for row in rows if name in row]


def _purchase(rows):
    assert [row["buyers"] for row in rows] == [1, 2, 8]
    assert all(row["service/raw"].endswith("x") for row in rows)


def _statement(rows):
    assert _column(rows, "status") == [200, 200, 200], rows
    assert all(isinstance(q, int) and q > 0 for q in _column(rows, "queries")), rows


def _rating(rows):
    assert _column(rows, "same results") == ["yes"] * 3, rows


def _lists(rows):
    for row in rows:
        assert not row["counter"].startswith("status"), row
        assert not str(row["admin p50 ms"]).startswith("status"), row
    counters = dict(zip(_column(rows, "page"), _column(rows, "counter")))
    # Above the exact-count limit: the estimate and the keyset pages, as at a million rows.
    assert counters["DID list, last page"].startswith("about "), counters
    assert " of about " in counters["DID list, first page"], counters


def _api(rows):
    assert all(row["API/service"].endswith("x") for row in rows if row["service /s"] != "-"), rows


def _buy_sort(rows):
    assert _column(rows, "same rows") == ["yes"] * 8, rows


def _ok_results(rows):
    results = _column(rows, "result")
    assert not any("WRONG" in result for result in results), results


def _dashboard(rows):
    pages = [row for row in rows if row["page or figure"].startswith("home as")]
    assert len(pages) == 3 and all(isinstance(row["queries"], int) for row in pages), rows


def _did_import(rows):
    _ok_results(rows)
    results = dict(zip(_column(rows, "step"), _column(rows, "result")))
    for step in ("preview (check only)", "import", "rerun of the same file", "undo"):
        assert results[step].endswith("OK"), results


def _cdr_import(rows):
    _ok_results(rows)
    results = dict(zip(_column(rows, "step"), _column(rows, "result")))
    assert results["dry run (check and rate only)"].endswith("OK"), results
    assert results["rate and charge"].endswith("ledger == balances: OK"), results
    assert results["rerun of the same file"].endswith("OK"), results


def _billing(rows):
    assert all(verdict.startswith("OK: ") for verdict in _column(rows, "verified")), rows
    assert [row["workers"] for row in rows] == [1, 2, "-"]


def _routing(rows):
    served = [row for row in rows if row["measure"].startswith("gunicorn")]
    assert len(served) == 3, rows
    for row in served:
        assert row["non-200"] == "0", row
    for row in rows:
        assert int(row["lookups"].replace(",", "")) > 0, row


def _load(rows):
    *pages, summary = rows
    assert summary["request"] == ("after the run: 5xx 0, tracebacks in the server log 0, check_ledger clean, "
                                  "billing_audit clean"), summary
    assert all(row["failures"] == "0" for row in pages), pages
    total = next(row for row in pages if row["request"] == "Aggregated")
    assert int(total["requests"]) > 0, pages


CASES = {
    "api": Case(["operation", "calls", "API /s", "API p50 ms", "API p95 ms", "service /s", "service p50 ms",
                 "service p95 ms", "API/service"], 5, _api),
    "billing": Case(["run", "workers", "renewals", "wall s", "renewals/s", "100,000 in s", "goal < 60 s",
                     "service/SQL", "CPU s", "batches", "per worker", "lock waits", "other jobs' CPU", "verified"],
                    3, _billing),
    "buy_sort": Case(["page", "no override p50 ms", "no override p95 ms", "no override q",
                      "one override (before) p50 ms", "one override (before) p95 ms", "one override q", "speed-up",
                      "same rows"], 8, _buy_sort),
    "cdr_import": Case(["step", "calls", "seconds", "calls/s", "vs COPY", "result"], 4, _cdr_import),
    "dashboard": Case(["page or figure", "queries", "p50 ms", "p95 ms", "result"], 10, _dashboard),
    "did_import": Case(["step", "rows", "seconds", "rows/s", "vs COPY", "goal < 60 s", "result"], 5, _did_import),
    "lists": Case(["page", "counter", "ours p50 ms", "ours p95 ms", "ours q", "bare p50 ms", "bare p95 ms", "bare q",
                   "ours/bare", "admin p50 ms", "admin p95 ms", "admin q", "ours/admin", "goal"], 12, _lists),
    "load": Case(["request", "requests", "failures", "req/s", "p50 ms", "p95 ms", "max ms"], None, _load),
    "purchase": Case(["buyers", "purchases", "service /s", "service p50 ms", "service p95 ms", "raw SQL /s",
                      "raw p50 ms", "raw p95 ms", "service/raw"], 3, _purchase),
    "rating": Case(["rates", "calls", "call_cost s", "call_cost calls/s", "NumPy s", "NumPy calls/s",
                    "call_cost/NumPy", "same results"], 3, _rating),
    "routing": Case(["measure", "lookups", "lookups/s", "p50 ms", "p95 ms", "p99 ms", "queries", "non-200"], 5,
                    _routing),
    "statement": Case(["page", "url", "queries", "p50 ms", "p95 ms", "status"], 3, _statement),
}


def test_every_benchmark_has_a_smoke_case_and_a_tiny_size():
    """A new benchmark gets its case here; each one declares the sizes bench.common knows."""
    benchmarks = {name: module for name in module_names() if (module := load(name))}
    assert set(benchmarks) == set(CASES)
    for name, module in benchmarks.items():
        assert set(module.SIZES) == set(common.SIZE_NAMES), name
        assert module.TITLE, name


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(CASES))
def test_benchmark_runs_at_tiny_size(name, bench_database):
    case = CASES[name]
    start = time.perf_counter()
    rows = load(name).run("tiny")
    seconds = time.perf_counter() - start

    assert rows, f"{name} returned no rows"
    if case.rows is not None:
        assert len(rows) == case.rows, rows
    assert list(rows[0]) == case.columns, f"{name}'s columns changed: {list(rows[0])}"
    for row in rows:
        assert set(row) <= set(case.columns), row
    text = " ".join(str(value) for row in rows for value in row.values())
    assert not re.search(r"\b(WRONG|FAILED)\b", text), rows
    case.check(rows)
    assert seconds < TINY_SECONDS, f"{name} took {seconds:.0f} s at its tiny size"


# --- make bench: every benchmark, whatever fails ---------------------------------------------

@pytest.fixture
def fake_suite(monkeypatch, tmp_path):
    """bench/__main__.py with three modules (one broken, one helper, one fine) and no database."""
    results = tmp_path / "RESULTS.md"
    results.write_text(bench_main.HEADER + "\n<!-- bench:broken -->\nold figures\n<!-- /bench:broken -->\n")
    monkeypatch.setattr(bench_main, "RESULTS", results)
    monkeypatch.setattr(common, "bench_url", lambda suffix="": "postgres://nobody@127.0.0.1:1/fake_bench")
    for step in ("recreate_database", "setup_django", "fresh_database"):
        monkeypatch.setattr(common, step, lambda *args, **kwargs: None)
    monkeypatch.setattr(common, "machine_facts", lambda: {"nproc": "2"})
    sizes = []

    def broken_run(size=None):
        sizes.append(size)
        raise RuntimeError("NotNullViolation, say")

    def fine_run(size=None):
        sizes.append(size)
        return [{"step": "fine", "result": "OK"}]

    modules = {"broken": SimpleNamespace(TITLE="Broken", run=broken_run),
               "fine": SimpleNamespace(TITLE="Fine", run=fine_run)}
    monkeypatch.setattr(bench_main, "module_names", lambda: ["broken", "data", "fine"])
    monkeypatch.setattr(bench_main, "load", modules.get)
    return SimpleNamespace(results=results, sizes=sizes)


def test_make_bench_goes_on_after_a_failure_then_names_it(fake_suite, monkeypatch, capsys):
    monkeypatch.delenv("BENCH_SIZE", raising=False)
    with pytest.raises(common.BenchError, match=r"FAILED: broken \(1 of 2 benchmarks"):
        bench_main.main([])
    assert fake_suite.sizes == ["full", "full"]  # the fine one ran after the broken one
    assert "RuntimeError: NotNullViolation, say" in capsys.readouterr().err
    text = fake_suite.results.read_text()
    assert "old figures" in text  # a failed benchmark's previous section is kept
    assert "<!-- bench:fine -->" in text and "| fine | OK |" in text


def test_a_tiny_make_bench_writes_no_results(fake_suite, monkeypatch):
    monkeypatch.setenv("BENCH_SIZE", "tiny")
    before = fake_suite.results.read_text()
    with pytest.raises(common.BenchError, match="FAILED: broken"):
        bench_main.main([])
    assert fake_suite.sizes == ["tiny", "tiny"]
    assert fake_suite.results.read_text() == before
