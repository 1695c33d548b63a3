"""Importing 1,000,000 DIDs from CSV (dids/importing/, what `manage.py import_dids
--yes` and the browser's Confirm run), beside PostgreSQL's own COPY of the same
file into a table of text columns: the floor for reading the file at all."""

import csv
import random
import tempfile
import time
from pathlib import Path

from django.db import connection

from bench.common import sized
from dids.export import HEADER
from dids.importing.csv_file import import_csv
from dids.importing.undo import undo_import
from dids.models import DID, Provider

TITLE = "DID import: 1,000,000 rows from CSV vs PostgreSQL COPY"
SIZES = {"full": {"rows": 1_000_000}, "tiny": {"rows": 2_000}}  # a multiple of 200: every kind of bad row
NOTES = (
    f"A {SIZES['full']['rows']:,}-row file with every column of Export CSV (the export's own headers), numbers "
    "of 5 countries in several formats, each row with its Country: US and GB numbers in national form as "
    "carriers send them "
    "(`(646) 200-0000`, `020 7000 0000`, 40% of the rows: read in the row's Country; the US ones are also valid "
    "New Zealand numbers read as international, so each is an ambiguous reading the preview counts), DE with the "
    "`0049` prefix, FR and CA with `+`; 5 providers by name, quoted cities with commas, 0.5% invalid rows "
    "(negative prices, impossible numbers) and 0.5% repeated numbers. *import*: `import_csv(write=True)`: read, "
    "check every row, look up duplicates (one query per 5,000 rows) while a background thread COPYs each block "
    "of 20,000 checked rows into a temporary table and INSERTs it in number order (ON CONFLICT DO NOTHING) into dids_did with all its "
    "indexes, in one transaction. "
    "*preview*: the same without writing (the browser's preview step). *rerun*: the same file again (nothing new). "
    "*undo*: deleting the import. *COPY*: `COPY ... FROM STDIN (FORMAT csv, HEADER)` of the same file into an "
    "unindexed table of 19 text columns. *vs COPY*: time ratio."
)
# National forms (US, GB) are read in the row's Country (dids.numbers.read_number): the slow path.
COUNTRIES = [("US", "(646) {nxx}-{line}"), ("GB", "020 {block} {line}"), ("DE", "0049 30 {n:08d}"),
             ("FR", "+33 1 {n:08d}"), ("CA", "+1 (416) {n:07d}")]


def _number(pattern: str, n: int) -> str:
    return pattern.format(n=n, nxx=200 + n // 10_000, block=7000 + n // 10_000, line=f"{n % 10_000:04d}")


def _write_file(path: Path, rows: int) -> int:
    """The benchmark file; returns how many rows are meant to be created."""
    rng = random.Random(6)
    providers = [f"Carrier {i}" for i in range(5)]
    good = 0
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(HEADER)
        for i in range(rows):
            country, pattern = COUNTRIES[i % 5]
            n = i // 5
            number = _number(pattern, n)
            price = f"{rng.randint(1, 900) / 100:.4f}"
            if i % 200 == 7:
                price = "-1.0000"  # invalid
            elif i % 200 == 11:
                number = "12345"  # invalid
            elif i % 200 == 13:
                number = _number(pattern, 0)  # repeats an earlier line
            else:
                good += 1
            out.writerow(["DID", number, providers[i % 5], country, f"City {i % 97}, Region", f"Province {i % 13}",
                          "0.5000", "Active", "0.0000", "0", "0.0100", "60", "60", "1.0000", price, "30",
                          "Recurring", "30", "0"])
    return good


def _copy_seconds(path: Path, rows: int) -> float:
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with connection.cursor() as cursor, path.open() as file:
        cursor.execute(f"DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy ({columns})")
        start = time.perf_counter()
        cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER)", file)
        seconds = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_copy")
        assert cursor.fetchone()[0] == rows
        cursor.execute("DROP TABLE bench_copy")
    return seconds


def _row(step: str, seconds: float, rows: int, copy: float, result: str) -> dict:
    return {"step": step, "rows": f"{rows:,}", "seconds": f"{seconds:.1f}", "rows/s": f"{rows / seconds:,.0f}",
            "vs COPY": f"{seconds / copy:.1f}x" if copy else "", "goal < 60 s": "yes" if seconds < 60 else "NO",
            "result": result}


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    for i in range(5):
        Provider.objects.get_or_create(name=f"Carrier {i}")
    default = Provider.objects.order_by("pk").first()
    before = DID.objects.count()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dids.csv"
        expected = _write_file(path, n.rows)
        megabytes = path.stat().st_size / 1e6
        copy = _copy_seconds(path, n.rows)
        rows = [_row("PostgreSQL COPY (text columns)", copy, n.rows, copy, f"{megabytes:.0f} MB file")]

        start = time.perf_counter()
        preview = import_csv(path, default_provider=default, write=False)
        readings = preview.readings
        rows.append(_row("preview (check only)", time.perf_counter() - start, n.rows, copy,
                         f"{preview.new:,} new, {preview.duplicates:,} duplicate, {preview.invalid:,} invalid; "
                         f"{readings.national:,} read as national, {readings.ambiguous:,} ambiguous: "
                         + ("OK" if preview.new == expected and DID.objects.count() == before
                            else f"WRONG: expected {expected:,} new and nothing written")))

        start = time.perf_counter()
        report = import_csv(path, default_provider=default, write=True)
        seconds = time.perf_counter() - start
        created = DID.objects.filter(import_batch=report.import_record).count()
        ok = "OK" if created == report.new == expected else f"WRONG: expected {expected:,}"
        rows.append(_row("import", seconds, n.rows, copy, f"{created:,} DIDs created, {report.duplicates:,} duplicate, "
                                                         f"{report.invalid:,} invalid: {ok}"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE dids_did")

        start = time.perf_counter()
        again = import_csv(path, default_provider=default, write=True)
        rows.append(_row("rerun of the same file", time.perf_counter() - start, n.rows, copy,
                         f"{again.new:,} created, {again.duplicates:,} duplicate"
                         + (" OK" if again.new == 0 and again.import_record is None else " WRONG")))

        start = time.perf_counter()
        deleted = undo_import(report.import_record.pk)
        left = DID.objects.count()
        rows.append(_row("undo", time.perf_counter() - start, deleted, 0,
                         f"{deleted:,} deleted, {left:,} left: "
                         + ("OK" if deleted == created and left == before else f"WRONG: expected {before:,} left")))
    return rows
