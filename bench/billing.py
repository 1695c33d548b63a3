"""The billing run at scale: 100,000 due subscriptions settled by
billing.subscriptions.renewals.run_billing with 1 and 2 worker processes, beside a set-based
SQL transaction doing the same charges (the ratio is the figure). The goal
(the issue): 100,000 renewals in under 60 s on a 2-core machine.

Data (bulk SQL, INSERT ... SELECT generate_series, in a seed database of its
own): ``subs`` Recurring DIDs bought from the operator by funded top-level
resellers, ``per_account`` each; every subscription exactly one period behind
(due within the last day), so each needs exactly one renewal charge. The
ledger is what the purchase path leaves: per account a funds_added entry, then
one did_price entry per subscription (its first period), chained seq 1..n,
the account balance equal to the last balance_after. The rows go in with the
ledger triggers disabled (in the same transaction that re-enables them) and
the result is then checked once: check_ledger's rules in one SQL count, and
``manage.py check_ledger`` itself.

Every measured run starts from a fresh copy of that seed (CREATE DATABASE ...
TEMPLATE), with the triggers enabled, and is verified afterwards: one renewal
per subscription for the right period, no duplicate charge, nothing left due,
every ledger chain unbroken and every balance equal to the sum of its ledger.

Workers are separate processes (``python -c`` with django.setup(), the same
call as ``manage.py run_billing --now ...``), connected before the clock
starts and released together. Beside the wall time each run reports its CPU
seconds (its processes and their PostgreSQL backends: what the run costs,
hardly changed by other jobs), the share of time the workers waited for locks,
and the CPU that other jobs used meanwhile (this is a shared 2-core machine:
a wall time measured beside another job is not the run's own). Only databases
named ``*_bench`` are created or dropped; their names carry this process's id,
so two benchmark runs at once do not drop each other's.

Sizes (SIZES): full, 100,000 subscriptions, 100 per account (BENCH_BILLING_SUBS and
BENCH_BILLING_PER_ACCOUNT change them, for a quick run); tiny, 300, 10 per account (two batches).
Environment: BENCH_BILLING_LAYOUT (``scattered``: due
times interleave the accounts, as purchases over time do; ``grouped``: each
account's subscriptions fall due one after the other), BENCH_BILLING_PROFILE=1
(also profile one in-process run with cProfile and per-statement SQL times,
printed, not written to RESULTS.md), BENCH_BILLING_KEEP=1 (keep the seed and
work databases). BILLING_BATCH_SIZE reaches the workers like any setting.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from bench import common

# subs: due subscriptions, per_account of them per funded reseller.
SIZES = {
    "full": {"subs": int(os.environ.get("BENCH_BILLING_SUBS", "100000")),
             "per_account": int(os.environ.get("BENCH_BILLING_PER_ACCOUNT", "100"))},
    "tiny": {"subs": 300, "per_account": 10},
}
LAYOUT = os.environ.get("BENCH_BILLING_LAYOUT", "scattered")
PROFILE = os.environ.get("BENCH_BILLING_PROFILE", "0") not in ("", "0")
KEEP = os.environ.get("BENCH_BILLING_KEEP", "0") not in ("", "0")
FUNDS = Decimal("1000.0000")  # per account: the first period and this renewal cost 100-250 each
BILLING_DAYS = 30
GOAL_SUBS, GOAL_SECONDS = 100_000, 60
ROOT = Path(__file__).resolve().parent.parent

TITLE = "Billing run: run_billing vs set-based SQL"
NOTES = ""  # written by run(): sizes, setup time, per-worker split


# --- databases --------------------------------------------------------------------------------

def _names() -> tuple[str, str]:
    """(seed, work) database names beside the benchmark database, unique to this process so that
    two benchmark runs at once do not drop each other's: didportal_bench ->
    didportal_billing_<pid>_seed_bench, didportal_billing_<pid>_bench."""
    main = settings.DATABASES["default"]["NAME"]
    stem = main[: -len("_bench")] if main.endswith("_bench") else main
    return f"{stem}_billing_{os.getpid()}_seed_bench", f"{stem}_billing_{os.getpid()}_bench"


def _drop_stale() -> None:
    """Drop the databases of earlier runs that were killed before their clean-up (their process is gone)."""
    main = settings.DATABASES["default"]["NAME"]
    stem = main[: -len("_bench")] if main.endswith("_bench") else main
    pattern = re.compile(rf"{re.escape(stem)}_billing_(\d+)(_seed)?_bench")
    conn = _server()
    with conn.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database")
        names = [name for (name,) in cur.fetchall()]
    conn.close()
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _alive(int(match.group(1))):
            _drop(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _url(name: str) -> str:
    return urlunsplit(urlsplit(common.bench_url())._replace(path="/" + name))


def _server():
    conn = common._connect(common.bench_url(), dbname="postgres")
    conn.autocommit = True
    return conn


def _connect(name: str):
    return common._connect(_url(name), dbname=name)


def _drop(name: str) -> None:
    common.drop_database(_url(name))  # never anything but a *_bench database


def _create(name: str, template: str | None = None) -> None:
    """(Re)create ``name``, empty or as a copy of ``template``."""
    common.recreate_database(_url(name), template=template)


def _checkpoint() -> None:
    """Start each measured run with no dirty pages of the previous step left to write."""
    conn = _server()
    with conn.cursor() as cur:
        cur.execute("CHECKPOINT")
    conn.close()


def _busy_ticks() -> int:
    """The machine's busy CPU time so far, in clock ticks (/proc/stat)."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in f.readline().split()[1:9])
    return user + nice + system + irq + softirq + steal


def _process_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # gone
    return int(fields[11]) + int(fields[12])  # utime + stime


class _Monitor:
    """What happened around a run, sampled every 0.2 s:

    - ``others``: the CPU that other jobs used meanwhile, in cores (0.5 = half a core all along):
      the machine's busy time minus that of this process, the given worker processes and every
      PostgreSQL backend on the run's database (autovacuum included). This is a shared machine:
      a run measured while something else computes is slower than it is.
    - ``cpu``: the CPU seconds of the run itself (its processes and their PostgreSQL backends):
      unlike the wall time, hardly changed by other jobs.
    - ``lock_waits``: the share of the samples in which a client backend on the run's database
      was waiting for a lock (pg_stat_activity.wait_event_type = 'Lock'): workers queueing
      behind each other's rows.
    """

    def __init__(self, database: str, pids=()):
        self.database, self.pids, self.last, self.mine = database, set(pids) | {os.getpid()}, {}, 0
        self.waiting = self.sampled = 0
        self.others = self.lock_waits = self.cpu = float("nan")

    def __enter__(self):
        self.conn = _server()
        self.pids.add(self.conn.get_backend_pid())
        self.done = threading.Event()
        self._sample()
        self.waiting = self.sampled = 0
        self.start, self.busy0 = time.perf_counter(), _busy_ticks()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self) -> None:
        while not self.done.wait(0.2):
            self._sample()

    def _sample(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute("SELECT pid, backend_type, wait_event_type FROM pg_stat_activity WHERE datname = %s",
                        [self.database])
            backends = cur.fetchall()
        for pid in self.pids | {pid for pid, _, _ in backends}:
            ticks = _process_ticks(pid)
            if ticks is not None:
                self.mine += ticks - self.last.get(pid, ticks)
                self.last[pid] = ticks
        clients = [wait for _, kind, wait in backends if kind == "client backend"]
        self.sampled += len(clients)
        self.waiting += sum(wait == "Lock" for wait in clients)

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()
        self._sample()
        busy, seconds = _busy_ticks() - self.busy0, time.perf_counter() - self.start
        self.conn.close()
        self.others = max(busy - self.mine, 0) / os.sysconf("SC_CLK_TCK") / seconds
        self.lock_waits = self.waiting / self.sampled if self.sampled else 0.0
        self.cpu = self.mine / os.sysconf("SC_CLK_TCK")


def _env(name: str) -> dict:
    env = dict(os.environ, DATABASE_URL=_url(name), DJANGO_SETTINGS_MODULE="billing_portal.settings")
    # No notices are expected; should any come, keep them off the workers' stdout pipe.
    env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    return env


def _migrate(name: str) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=_env(name),
                   check=True)


# --- the seed data ----------------------------------------------------------------------------

# Due times: "scattered" spreads consecutive subscriptions (hence accounts) over the whole last
# day (a multiplicative hash), so one batch of the run touches many accounts; "grouped" makes
# each account's subscriptions fall due one after the other.
_OFFSET_MS = {
    "scattered": "(i::bigint * 2654435761 %% 4294967296) * 86399999 / 4294967295",
    "grouped": "(i::bigint - 1) * 86399999 / %(subs)s",
}

_LOAD = """
CREATE TEMP TABLE plan ON COMMIT DROP AS
SELECT i, (i - 1) / %(per)s + 1 AS account_id, (1.0000 + (i %% 7) * 0.2500)::numeric(14,4) AS price,
       ('+1' || (5550000000 + i))::varchar(16) AS number,
       %(now)s - interval '1 day' + ({offset}) * interval '1 millisecond' AS period_end
FROM generate_series(1, %(subs)s) i;

ALTER TABLE billing_ledgerentry DISABLE TRIGGER USER;
ALTER TABLE accounts_account DISABLE TRIGGER USER;

INSERT INTO accounts_account (id, number, name, kind, email, balance_currency, balance, credit_limit_currency,
    credit_limit, status, created_at, parent_id)
SELECT a, (8000000000 + a)::text, 'Billing bench ' || a, 'reseller', '', 'USD', 0, 'USD', 0, 'active',
       %(now)s - interval '40 days', NULL
FROM generate_series(1, %(accounts)s) a;

INSERT INTO dids_did (id, category, number, country, city, province, buy_cost_currency, buy_cost, status,
    connection_cost_currency, connection_cost, cost_per_min_currency, cost_per_min, grace_time, initial_increment,
    increment, setup_fee_currency, setup_fee, monthly_fee_currency, monthly_fee, call_timeout, billing_type,
    billing_days, concurrent_calls, created_at, updated_at, holder_id, provider_id)
SELECT i, 'DID', number, 'US', '', '', 'USD', 0.5000, 'active', 'USD', 0, 'USD', 0, 0, 60, 60, 'USD', 0, 'USD',
       price, 30, 'recurring', %(days)s, 0, %(now)s - interval '40 days', period_end - interval '%(days)s days',
       account_id, (SELECT min(id) FROM dids_provider)
FROM plan;

INSERT INTO billing_subscription (id, status, setup_fee_currency, setup_fee, price_currency, price, billing_type,
    billing_days, period_start, period_end, sell_setup_fee_currency, sell_setup_fee, sell_price_currency, sell_price,
    started_at, ended_at, purchase_key, account_id, did_id, parent_id, grace_until, last_attempt_at, suspended_at,
    call_type, destination)
SELECT i, 'active', 'USD', 0, 'USD', price, 'recurring', %(days)s, period_end - interval '%(days)s days', period_end,
       'USD', 0, 'USD', price, period_end - interval '%(days)s days', NULL, 'billing-bench-' || i, account_id, i, NULL,
       NULL, NULL, NULL, '', ''
FROM plan;

INSERT INTO billing_didhistory (did_id, account_id, action, setup_fee_currency, setup_fee, price_currency, price,
    description, at)
SELECT i, account_id, 'purchased', 'USD', 0, 'USD', price,
       'Bought by Billing bench ' || account_id || ' (' || (8000000000 + account_id) || ') from the operator for '
       || price::text, period_end - interval '%(days)s days'
FROM plan;

-- Per account: seq 1 the funds, then the first-period charges in purchase order.
INSERT INTO billing_ledgerentry (account_id, seq, kind, amount_currency, amount, balance_before_currency,
    balance_before, balance_after_currency, balance_after, period_start, period_end, description, created_at,
    idempotency_key, created_by_id, did_id, subscription_id)
SELECT a, 1, 'funds_added', 'USD', %(funds)s, 'USD', 0, 'USD', %(funds)s, NULL::timestamptz, NULL::timestamptz,
       'Benchmark funds', %(now)s - interval '40 days', NULL::varchar, NULL::bigint, NULL::bigint, NULL::bigint
FROM generate_series(1, %(accounts)s) a
UNION ALL
SELECT account_id, 1 + n, 'did_price', 'USD', -price, 'USD', %(funds)s - spent + price, 'USD', %(funds)s - spent,
       period_end - interval '%(days)s days', period_end,
       'DID ' || ltrim(number, '+') || ' first period at ' || price::text || ' per %(days)s days from the operator',
       period_end - interval '%(days)s days', 'billing-bench-' || i || ':price', NULL, i, i
FROM (SELECT plan.*, row_number() OVER w AS n, sum(price) OVER w AS spent FROM plan
      WINDOW w AS (PARTITION BY account_id ORDER BY period_end, i ROWS UNBOUNDED PRECEDING)) t;

UPDATE accounts_account a SET balance = %(funds)s - t.spent
FROM (SELECT account_id, sum(price) AS spent FROM plan GROUP BY account_id) t WHERE a.id = t.account_id;

SET CONSTRAINTS ALL IMMEDIATE;  -- the foreign keys, checked now: ALTER TABLE wants no pending events
ALTER TABLE billing_ledgerentry ENABLE TRIGGER USER;
ALTER TABLE accounts_account ENABLE TRIGGER USER;

SELECT setval(pg_get_serial_sequence('accounts_account', 'id'), %(accounts)s);
SELECT setval(pg_get_serial_sequence('dids_did', 'id'), %(subs)s);
SELECT setval(pg_get_serial_sequence('billing_subscription', 'id'), %(subs)s);
"""


def _params(now: datetime, n) -> dict:
    return {"subs": n.subs, "per": n.per_account, "accounts": -(-n.subs // n.per_account), "now": now,
            "funds": FUNDS, "days": BILLING_DAYS}


def _load(name: str, now: datetime, n) -> None:
    if LAYOUT not in _OFFSET_MS:
        raise common.BenchError(f"BENCH_BILLING_LAYOUT must be one of {', '.join(_OFFSET_MS)}, not {LAYOUT!r}")
    conn = _connect(name)
    with conn, conn.cursor() as cur:  # one transaction: triggers off and on again inside it
        cur.execute(_LOAD.format(offset=_OFFSET_MS[LAYOUT]), _params(now, n))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.close()


# balance == sum of the entries, and each chain unbroken (seq 1..n, each entry starting where the
# one before ended, after == before + amount): the rules of check_ledger, as one count.
_LEDGER_PROBLEMS = """
SELECT (SELECT count(*) FROM accounts_account a
        LEFT JOIN (SELECT account_id, sum(amount) AS total FROM billing_ledgerentry GROUP BY account_id) s
               ON s.account_id = a.id
        WHERE a.balance <> COALESCE(s.total, 0))
     + (SELECT count(*) FROM (
            SELECT seq, amount, balance_before, balance_after,
                   lag(seq) OVER w AS prev_seq, lag(balance_after) OVER w AS prev_after
            FROM billing_ledgerentry WINDOW w AS (PARTITION BY account_id ORDER BY seq)) t
        WHERE seq <> COALESCE(prev_seq, 0) + 1 OR balance_before <> COALESCE(prev_after, 0)
           OR balance_after <> balance_before + amount)
"""


def _check_ledger(name: str) -> str:
    """`manage.py check_ledger` on the database: its last line ("Ledger OK: N accounts checked")."""
    done = subprocess.run([sys.executable, "manage.py", "check_ledger"], cwd=ROOT, env=_env(name),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise common.BenchError(f"check_ledger failed on {name}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def _one(cur, sql: str, params=None):
    cur.execute(sql, params)
    return cur.fetchone()[0]


_DUE = """SELECT count(*) FROM billing_subscription WHERE status = 'active' AND period_end <= %(now)s
    AND (last_attempt_at IS NULL OR last_attempt_at < %(now)s)"""


def _validate_seed(name: str, now: datetime, n) -> str:
    conn = _connect(name)
    with conn, conn.cursor() as cur:
        facts = {
            "accounts": _one(cur, "SELECT count(*) FROM accounts_account"),
            "due": _one(cur, _DUE, {"now": now}),
            "one period behind": _one(cur, """SELECT count(*) FROM billing_subscription
                WHERE period_end <= %(now)s AND period_end + interval '%(days)s days' > %(now)s""",
                                      {"now": now, "days": BILLING_DAYS}),
            # Each subscription: exactly one first-period charge, for its current period.
            "first charges": _one(cur, """SELECT count(*) FROM billing_subscription s JOIN billing_ledgerentry e
                ON e.subscription_id = s.id AND e.kind = 'did_price' AND e.period_start = s.started_at
                AND e.period_end = s.period_end AND e.amount = -s.price"""),
            "entries": _one(cur, "SELECT count(*) FROM billing_ledgerentry"),
            "ledger problems": _one(cur, _LEDGER_PROBLEMS),
        }
    conn.close()
    accounts = -(-n.subs // n.per_account)
    expected = {"accounts": accounts, "due": n.subs, "one period behind": n.subs, "first charges": n.subs,
                "entries": n.subs + accounts, "ledger problems": 0}
    if facts != expected:
        raise common.BenchError(f"The seed data is not valid: {facts} (expected {expected})")
    return _check_ledger(name)


# --- verification after a run -----------------------------------------------------------------

def _verify(name: str, now: datetime, n) -> dict:
    """What a correct run leaves; returns the counts (a failed check raises)."""
    conn = _connect(name)
    with conn, conn.cursor() as cur:
        params = {"now": now}
        facts = {
            "renewals": _one(cur, "SELECT count(*) FROM billing_ledgerentry WHERE kind = 'renewal'"),
            # Exactly one renewal per subscription, starting where the first period ended, at the
            # DID's price, and the subscription moved on to that period.
            "wrong subscriptions": _one(cur, """
                WITH r AS (SELECT subscription_id, count(*) AS n, min(period_start) AS ps, min(period_end) AS pe,
                                  min(amount) AS amount
                           FROM billing_ledgerentry WHERE kind = 'renewal' GROUP BY subscription_id),
                     f AS (SELECT subscription_id, period_end FROM billing_ledgerentry WHERE kind = 'did_price')
                SELECT count(*) FROM billing_subscription s
                JOIN dids_did d ON d.id = s.did_id
                LEFT JOIN r ON r.subscription_id = s.id LEFT JOIN f ON f.subscription_id = s.id
                WHERE r.n IS DISTINCT FROM 1 OR r.ps IS DISTINCT FROM f.period_end
                   OR r.pe IS DISTINCT FROM r.ps + s.billing_days * interval '1 day'
                   OR s.period_start IS DISTINCT FROM r.ps OR s.period_end IS DISTINCT FROM r.pe
                   OR r.amount IS DISTINCT FROM -d.monthly_fee OR s.status <> 'active'"""),
            "duplicate charges": _one(cur, """SELECT count(*) FROM (SELECT 1 FROM billing_ledgerentry
                WHERE kind IN ('did_price', 'renewal') GROUP BY subscription_id, period_start
                HAVING count(*) > 1) t"""),
            "still due": _one(cur, _DUE, params),
            "suspended": _one(cur, "SELECT count(*) FROM billing_subscription WHERE grace_until IS NOT NULL"),
            "ledger problems": _one(cur, _LEDGER_PROBLEMS),
        }
    conn.close()
    expected = {"renewals": n.subs, "wrong subscriptions": 0, "duplicate charges": 0, "still due": 0, "suspended": 0,
                "ledger problems": 0}
    if facts != expected:
        raise common.BenchError(f"Run in {name} left wrong data: {facts} (expected {expected})")
    facts["check_ledger"] = _check_ledger(name)
    return facts


# --- run_billing in worker processes ----------------------------------------------------------

# One worker: Django set up and connected, then waits for the start line on stdin, then the
# same call as `manage.py run_billing --now ...`; prints its report as JSON.
_WORKER = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore", "No directory at", UserWarning)
import django
django.setup()
from django.conf import settings
settings.DEBUG = False  # no per-query log, as in production
from django.db import connection
from django.utils.dateparse import parse_datetime
from billing.subscriptions.renewals import run_billing
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
report = run_billing(now=parse_datetime(sys.argv[1]))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "renewed": report.renewed, "batches": report.batches,
                  "suspended": report.suspended, "released": report.released, "notices": report.notices,
                  "charged": str(report.charged)}), flush=True)
"""


def _run_workers(name: str, now: datetime, workers: int) -> dict:
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, now.isoformat()], cwd=ROOT, env=_env(name),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    try:
        for p in procs:
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise common.BenchError(f"A billing worker did not start: {line}{p.stderr.read()}")
        with _Monitor(name, [p.pid for p in procs]) as monitor:
            start = time.perf_counter()
            for p in procs:
                p.stdin.write("go\n")
                p.stdin.flush()
            outputs = [p.communicate() for p in procs]
            wall = time.perf_counter() - start
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    reports, errors = [], []
    for p, (out, err) in zip(procs, outputs):
        if p.returncode != 0 or err.strip():
            errors.append(f"worker exit {p.returncode}: {err.strip()[-2000:]}")
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if lines:
            reports.append(json.loads(lines[-1]))
    if errors or len(reports) != workers:
        raise common.BenchError("Billing worker(s) failed:\n" + "\n".join(errors))
    return {"wall": wall, "reports": reports, "errors": len(errors), "others": monitor.others,
            "lock_waits": monitor.lock_waits, "cpu": monitor.cpu}


# --- the same charges in set-based SQL ---------------------------------------------------------

# The happy path of run_billing for top-level Recurring subscriptions one period behind, in one
# transaction: lock the due subscriptions and their DIDs, resolve the price (operator override,
# else the DID's MonthlyFee), lock the accounts in id order, check the funds, then one INSERT of
# every renewal entry (seq and balances from row_number() and running sums per account, in
# chain order so the chain trigger sees each predecessor), one UPDATE of the balances and one of
# the subscriptions. The ledger triggers are on and check every row, as for the service.
_SQL = [
    """CREATE TEMP TABLE billing_due ON COMMIT DROP AS
    WITH due AS (
        SELECT s.id, s.account_id, s.did_id, s.billing_days, s.period_end AS p_start,
               s.period_end + s.billing_days * interval '1 day' AS p_end, s.price AS old_price,
               COALESCE(o.price, d.monthly_fee) AS price, d.number
        FROM billing_subscription s
        JOIN dids_did d ON d.id = s.did_id
        LEFT JOIN billing_priceoverride o
               ON o.did_id = s.did_id AND o.seller_subscription_id IS NULL AND o.buyer_id = s.account_id
        WHERE s.status = 'active' AND s.parent_id IS NULL AND s.billing_type = 'recurring'
          AND s.period_end <= %(now)s AND (s.last_attempt_at IS NULL OR s.last_attempt_at < %(now)s)
          AND s.period_end + s.billing_days * interval '1 day' > %(now)s
        FOR UPDATE OF s, d
    )
    SELECT due.*, row_number() OVER w AS n, sum(price) OVER w AS spent
    FROM due WINDOW w AS (PARTITION BY account_id ORDER BY p_start, id ROWS UNBOUNDED PRECEDING)""",
    """CREATE TEMP TABLE billing_accounts ON COMMIT DROP AS
    WITH locked AS (SELECT id, balance, credit_limit FROM accounts_account
                    WHERE id IN (SELECT account_id FROM billing_due) ORDER BY id FOR NO KEY UPDATE)
    SELECT l.id, l.balance, l.credit_limit,
           (SELECT max(seq) FROM billing_ledgerentry e WHERE e.account_id = l.id) AS last_seq,
           (SELECT sum(price) FROM billing_due d WHERE d.account_id = l.id) AS total
    FROM locked l""",
    # Funds: the happy path only (the data is funded); anything short would be run_billing's job.
    "SELECT count(*) FROM billing_accounts WHERE total > balance + credit_limit",
    """INSERT INTO billing_ledgerentry (account_id, seq, kind, amount_currency, amount, balance_before_currency,
        balance_before, balance_after_currency, balance_after, did_id, subscription_id, period_start, period_end,
        description, created_at)
    SELECT d.account_id, a.last_seq + d.n, 'renewal', 'USD', -d.price, 'USD', a.balance - d.spent + d.price, 'USD',
           a.balance - d.spent, d.did_id, d.id, d.p_start, d.p_end,
           left('Renewal of DID ' || ltrim(d.number, '+') || ' at ' || d.price::text || ' per ' || d.billing_days
                || ' days' || CASE WHEN d.price <> d.old_price THEN ' (new price; was ' || d.old_price::text || ')'
                                   ELSE '' END || ' from the operator', 255),
           now()
    FROM billing_due d JOIN billing_accounts a ON a.id = d.account_id
    ORDER BY d.account_id, d.n""",
    """UPDATE accounts_account a SET balance = a.balance - t.total
    FROM billing_accounts t WHERE a.id = t.id""",
    """UPDATE billing_subscription s SET period_start = d.p_start, period_end = d.p_end, price = d.price,
        suspended_at = NULL, grace_until = NULL
    FROM billing_due d WHERE s.id = d.id""",
]


def _run_sql(name: str, now: datetime) -> dict:
    conn = _connect(name)
    try:
        with _Monitor(name) as monitor:
            start = time.perf_counter()
            with conn, conn.cursor() as cur:  # one transaction; the deferred checks run at its commit
                counts = []
                for sql in _SQL:
                    cur.execute(sql, {"now": now})
                    counts.append(cur.fetchone()[0] if cur.description else cur.rowcount)
                if counts[2]:
                    raise common.BenchError(f"SQL run: {counts[2]} accounts short of funds")
            wall = time.perf_counter() - start
    finally:
        conn.close()
    return {"wall": wall, "renewed": counts[3], "others": monitor.others, "lock_waits": monitor.lock_waits,
            "cpu": monitor.cpu}


# --- profile ----------------------------------------------------------------------------------

def _statement_kind(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I)
    lock = " FOR UPDATE" if "FOR UPDATE" in sql else " FOR NO KEY UPDATE" if "FOR NO KEY UPDATE" in sql else ""
    return f"{verb} {table.group(1) if table else '?'}{lock}{' SKIP LOCKED' if 'SKIP LOCKED' in sql else ''}"


def _profile(name: str, now: datetime) -> None:
    """run_billing in this process on a fresh copy, under cProfile, with the time of each kind
    of statement (Django's execute_wrapper) and of the commits; printed."""
    import cProfile
    import pstats

    from django.db import connections

    from billing.subscriptions.renewals import run_billing

    conn = connections["default"]
    conn.close()
    saved = conn.settings_dict["NAME"]
    conn.settings_dict["NAME"] = name
    sql_time: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = sql_time[_statement_kind(sql)]
            entry[0] += 1
            entry[1] += time.perf_counter() - start

    profiler = cProfile.Profile()
    try:
        conn.ensure_connection()
        with conn.execute_wrapper(timed):
            start = time.perf_counter()
            profiler.enable()
            report = run_billing(now=now)
            profiler.disable()
            wall = time.perf_counter() - start
    finally:
        conn.close()
        conn.settings_dict["NAME"] = saved
    out = Path("/tmp/bench_billing.prof")
    profiler.dump_stats(out)
    stats = pstats.Stats(profiler)
    commit = sum(v[3] for k, v in stats.stats.items() if k[2] == "<method 'commit' of 'psycopg2.extensions.connection' objects>")
    print(f"\n  profile: {report.renewed:,} renewals in {wall:.1f} s under cProfile ({report.batches} batches); "
          f"stats in {out}")
    total_sql = sum(t for _, t in sql_time.values())
    print(f"  time in statements {total_sql:.1f} s, in commits (deferred ledger checks) {commit:.1f} s, "
          f"the rest (Python) {wall - total_sql - commit:.1f} s")
    print("  statements by kind (count, seconds):")
    for kind, (count, seconds) in sorted(sql_time.items(), key=lambda kv: -kv[1][1]):
        print(f"    {seconds:7.2f} s {count:6d}x  {kind}")
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)


# --- the benchmark ----------------------------------------------------------------------------

def _row(label: str, workers, wall: float, renewed: int, sql: dict | None, outcome: dict, batches="",
         split="", verified="") -> dict:
    rate = renewed / wall
    return {
        "run": label,
        "workers": workers,
        "renewals": f"{renewed:,}",
        "wall s": f"{wall:.1f}",
        "renewals/s": f"{rate:,.0f}",
        f"{GOAL_SUBS:,} in s": f"{GOAL_SUBS / rate:.1f}",
        f"goal < {GOAL_SECONDS} s": "yes" if GOAL_SUBS / rate < GOAL_SECONDS else "no",
        "service/SQL": f"{wall / sql['wall']:.1f}x (CPU {outcome['cpu'] / sql['cpu']:.1f}x)" if sql else "1.0x",
        "CPU s": f"{outcome['cpu']:.1f}",
        "batches": batches,
        "per worker": split,
        "lock waits": f"{outcome['lock_waits']:.0%}",
        "other jobs' CPU": f"{outcome['others']:.2f} cores",
        "verified": verified,
    }


def _verified(facts: dict, n, errors: int | None = None) -> str:
    ok = (facts["renewals"] == n.subs and not facts["wrong subscriptions"] and not facts["duplicate charges"]
          and not facts["still due"] and not facts["ledger problems"])
    text = (f"{'OK' if ok else 'FAILED'}: {facts['renewals']:,} renewals, {facts['wrong subscriptions']} wrong, "
            f"{facts['duplicate charges']} duplicate, {facts['ledger problems']} ledger mismatches, check_ledger OK")
    return text + (f", {errors} worker errors" if errors is not None else "")


def run(size: str | None = None) -> list[dict]:
    global NOTES
    n = common.sized(SIZES, size)
    seed, work = _names()
    now = datetime.now(UTC).replace(microsecond=0)
    accounts = -(-n.subs // n.per_account)
    print(f"  billing: {n.subs:,} subscriptions, {accounts:,} accounts, layout {LAYOUT}, billing at {now.isoformat()}")

    results = {}
    _drop_stale()
    try:
        start = time.perf_counter()
        _create(seed)
        _migrate(seed)
        _load(seed, now, n)
        load_s = time.perf_counter() - start
        seed_check = _validate_seed(seed, now, n)
        setup_s = time.perf_counter() - start
        print(f"  seed {seed}: loaded in {load_s:.1f} s, valid at {setup_s:.1f} s ({seed_check})")

        for workers in (1, 2):
            t = time.perf_counter()
            _create(work, template=seed)
            _checkpoint()
            copy_s = time.perf_counter() - t
            outcome = _run_workers(work, now, workers)
            outcome["facts"] = _verify(work, now, n)
            renewed = sum(r["renewed"] for r in outcome["reports"])
            if renewed != n.subs:
                raise common.BenchError(f"{workers} worker(s) reported {renewed} renewals, expected {n.subs}")
            results[workers] = outcome
            print(f"  run_billing x{workers}: {outcome['wall']:.1f} s (copy {copy_s:.1f} s, lock waits {outcome['lock_waits']:.0%}, "
                  f"other jobs {outcome['others']:.2f} cores), "
                  f"{[(r['renewed'], round(r['seconds'], 1)) for r in outcome['reports']]}")
        _create(work, template=seed)
        _checkpoint()
        sql = _run_sql(work, now)
        sql["facts"] = _verify(work, now, n)
        print(f"  set-based SQL: {sql['wall']:.2f} s (other jobs {sql['others']:.2f} cores)")
        if PROFILE:
            _create(work, template=seed)
            _checkpoint()
            _profile(work, now)
    finally:
        if not KEEP:
            _drop(work)
            _drop(seed)

    batch = settings.BILLING_BATCH_SIZE
    rows = []
    for workers, outcome in results.items():
        split = " / ".join(f"{r['renewed']:,} in {r['seconds']:.1f} s" for r in outcome["reports"])
        rows.append(_row("run_billing", workers, outcome["wall"], n.subs, sql, outcome,
                         batches=sum(r["batches"] for r in outcome["reports"]), split=split,
                         verified=_verified(outcome["facts"], n, outcome["errors"])))
    rows.append(_row("set-based SQL (one transaction)", "-", sql["wall"], sql["renewed"], None, sql,
                     verified=_verified(sql["facts"], n)))
    NOTES = (
        f"{n.subs:,} Recurring DIDs bought from the operator by {accounts:,} funded top-level resellers "
        f"({n.per_account} each), every subscription one period behind (due within the last day, layout "
        f"*{LAYOUT}*), so each run charges {n.subs:,} renewals; the ledger holds what purchases leave "
        f"(funds, then each first period). Setup: {setup_s:.1f} s (bulk SQL {load_s:.1f} s with the ledger "
        f"triggers off, then the checks of check_ledger). Each run starts from a fresh copy of that database with "
        f"the triggers on. *run_billing*: `run_billing(now=...)` as `manage.py run_billing --now` calls it, "
        f"in 1 or 2 separate processes connected first and released together (BILLING_BATCH_SIZE {batch}); "
        f"*wall s* from the release to the last process's end; *CPU s*: the CPU time of the run's processes "
        f"and their PostgreSQL backends (what the run costs, hardly changed by other jobs). *set-based SQL*: the same charges (lock, "
        f"price, funds check, one INSERT of the entries with row_number() and running sums per account, "
        f"one UPDATE of balances, one of subscriptions) in one transaction. *service/SQL*: wall-time ratio "
        f"(and CPU-time ratio). "
        f"*verified*: after each run, one renewal per subscription for the next period at the DID's price, "
        f"no duplicate charge, nothing left due, and check_ledger's checks (unbroken chains, balance == sum "
        f"of the ledger, as one SQL count and as `manage.py check_ledger`) on every account. *lock waits*: "
        f"share of the 0.2 s samples of pg_stat_activity in which a worker's backend waited for a lock. "
        f"*other jobs' CPU*: what processes other than this run (its workers and their PostgreSQL backends) used "
        f"during it, in cores of {os.cpu_count()}; a run with more than ~0.1 shared the machine and is slower "
        f"than it would be alone."
    )
    return rows
