"""Rating and charging 1,000,000 inbound calls from a CDR file (calls/importing/,
what `manage.py rate_cdrs` and the browser's Charge run), beside PostgreSQL's
own COPY of the same file: the floor for reading the file at all."""

import csv
import random
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.utils import timezone

from accounts.models import Account
from bench.common import sized
from billing.ledger.checks import balance_mismatches
from billing.models import LedgerEntry, Subscription
from core.money import money
from calls.importing.pipeline import rate_cdr_file
from calls.models import CallCharge
from dids.models import DID, Provider

TITLE = "CDR import: rating and charging 1,000,000 calls"
# calls: rows of the CDR file (a multiple of 200: every kind of bad row); dids: held DIDs.
SIZES = {
    "full": {"calls": int(__import__("os").environ.get("BENCH_CDR_CALLS", "1000000")), "dids": 20_000},
    "tiny": {"calls": 2_000, "dids": 240},
}
NOTES = (
    f"{SIZES['full']['dids']:,} held DIDs: half held by a reseller alone, a quarter sold on to a customer "
    "(2 levels), a quarter to a sub-reseller and its customer (3 levels); a third of the resellers sell calls "
    "at their own rates. "
    f"A {SIZES['full']['calls']:,}-row CDR file in FreeSWITCH's column names (uuid, start_stamp, "
    "destination_number, billsec, plus 2 ignored columns) of one day's calls, as a daily CDR import has them, "
    "0 to 600 answered seconds, 0.5% bad "
    "rows and 0.5% calls to unknown numbers. "
    "*rate and charge*: `rate_cdr_file(write=True)`: read the file twice (the first read finds each call's "
    "rows and looks up the call ids charged before), check and rate every call for every level, COPY the calls "
    "and their per-level charges from a second thread while the next block is read, check their references in "
    "set-based queries, post one ledger line per account, DID and day, all in one transaction "
    "(docs/cdr-import.md, Speed). "
    "*dry run*: the same without writing (the browser's preview). *rerun*: the same file again (every call "
    "already charged: nothing moves). *COPY*: the file into an unindexed table of text columns."
)
T0 = timezone.make_aware(timezone.datetime(2026, 10, 1))
DAY = timezone.make_aware(timezone.datetime(2026, 10, 12))


def _accounts(kind, count, base, parents=None):
    rows = [Account(name=f"{kind} {n}", kind=kind, parent=parents[n % len(parents)] if parents else None,
                    number=f"{base + n:010d}") for n in range(count)]
    return Account.objects.bulk_create(rows)


def _sub(did, account, parent, key, rates=None):
    extra = {}
    if rates:
        extra = dict(sell_connection_cost=money(Decimal("0.02")), sell_grace_time=0,
                     sell_cost_per_min=money(Decimal("0.0150")), sell_initial_increment=60, sell_increment=6)
    return Subscription(did=did, account=account, parent=parent, setup_fee=money(0), price=money(1),
                        billing_type="recurring", billing_days=30, period_start=T0, period_end=T0 + timedelta(days=30),
                        sell_setup_fee=money(0), sell_price=money(2), started_at=T0, purchase_key=key, **extra)


def _world(count: int) -> list[str]:
    """The held DIDs and their chains; returns the numbers."""
    provider, _ = Provider.objects.get_or_create(name="Carrier")
    resellers = _accounts("reseller", 60, 1_000_000_000)
    subs = _accounts("reseller", 120, 2_000_000_000, parents=resellers)
    customers = _accounts("customer", 600, 3_000_000_000, parents=resellers)
    sub_customers = _accounts("customer", 600, 4_000_000_000, parents=subs)
    dids = DID.objects.bulk_create([
        DID(number=f"+1800{n:07d}", provider=provider, monthly_fee=money(1), connection_cost=money(Decimal("0.01")),
            cost_per_min=money(Decimal("0.0100")), grace_time=6, initial_increment=30, increment=6)
        for n in range(count)])
    top, rest = [], []
    for n, did in enumerate(dids):
        reseller = resellers[n % 60]
        top.append(_sub(did, reseller, None, f"t{n}", rates=n % 3 == 0))
    top = Subscription.objects.bulk_create(top)
    second = []
    for n, (did, holder) in enumerate(zip(dids, top)):
        if n % 4 == 1:
            second.append(_sub(did, customers[(n // 4) % 600], holder, f"c{n}"))
        elif n % 4 == 3:
            second.append(_sub(did, [s for s in subs if s.parent_id == holder.account_id][n % 2], holder, f"s{n}"))
    second = Subscription.objects.bulk_create(second)
    for sub in second:
        if sub.account.is_reseller:
            rest.append(_sub(sub.did, [c for c in sub_customers if c.parent_id == sub.account_id][0], sub, f"x{sub.pk}"))
    Subscription.objects.bulk_create(rest)
    return [d.number for d in dids]


def _write_file(path: Path, numbers: list[str], calls: int) -> int:
    rng = random.Random(7)
    good = 0
    with path.open("w", newline="") as file:
        out = csv.writer(file)
        out.writerow(["uuid", "caller_id_number", "destination_number", "start_stamp", "billsec", "hangup_cause"])
        for i in range(calls):
            start = (DAY + timedelta(seconds=i * 86_400 // calls)).strftime("%Y-%m-%d %H:%M:%S")
            number, seconds = numbers[rng.randrange(len(numbers))].lstrip("+"), str(rng.randint(0, 600))
            if i % 200 == 7:
                seconds = "-1"
            elif i % 200 == 9:
                number = "19995550100"
            else:
                good += 1
            out.writerow([f"{i:08x}-4d2c-9b1e-{i % 9973:04x}", "15551230000", number, start, seconds,
                          "NORMAL_CLEARING"])
    return good


def _copy_seconds(path: Path) -> float:
    with connection.cursor() as cursor, path.open() as file:
        cursor.execute("DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy "
                       "(c0 text, c1 text, c2 text, c3 text, c4 text, c5 text)")
        start = time.perf_counter()
        cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER)", file)
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_copy")
    return seconds


def _row(step, calls, seconds, copy, result):
    return {"step": step, "calls": f"{calls:,}", "seconds": f"{seconds:.1f}", "calls/s": f"{calls / seconds:,.0f}",
            "vs COPY": f"{seconds / copy:.1f}x", "result": result}


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    numbers = _world(n.dids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cdrs.csv"
        good = _write_file(path, numbers, n.calls)
        copy = _copy_seconds(path)
        rows = [_row("PostgreSQL COPY (text columns)", n.calls, copy, copy,
                     f"{path.stat().st_size / 1e6:.0f} MB file")]

        start = time.perf_counter()
        dry = rate_cdr_file(path, write=False)
        rows.append(_row("dry run (check and rate only)", n.calls, time.perf_counter() - start, copy,
                         f"{dry.charged:,} to charge, {dry.invalid:,} rejected: "
                         + ("OK" if dry.charged == good and not CallCharge.objects.exists() else "WRONG")))

        start = time.perf_counter()
        report = rate_cdr_file(path, write=True)
        seconds = time.perf_counter() - start
        charges = CallCharge.objects.count()
        lines = LedgerEntry.objects.filter(kind__in=["call_charges", "call_sales"]).count()
        ok = "OK" if report.charged == good and not balance_mismatches() else "WRONG"
        rows.append(_row("rate and charge", n.calls, seconds, copy,
                         f"{report.charged:,} calls, {charges:,} level charges, {lines:,} ledger lines, "
                         f"{report.invalid:,} rejected; ledger == balances: {ok}"))

        start = time.perf_counter()
        again = rate_cdr_file(path, write=True)
        rows.append(_row("rerun of the same file", n.calls, time.perf_counter() - start, copy,
                         f"{again.charged:,} charged, {again.already_charged:,} already charged"
                         + (" OK" if again.charged == 0 and CallCharge.objects.count() == charges else " WRONG")))
    return rows
