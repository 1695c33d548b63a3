"""Purchases per second and latency of billing.subscriptions.purchase.purchase_did with 1, 2
and 8 concurrent buyers, beside the same transaction written by hand in SQL.

Every buyer is its own top-level reseller (so buyers do not queue on one
account row) and every purchase is a distinct DID: this measures the cost of
one purchase transaction, not lock contention (tests/billing/test_purchase_races.py
covers contention). Service and raw SQL alternate per configuration so that a
drift of the machine affects both alike.

Each buyer is a process of its own (forked after the warm-up, with its own database
connection), as production serves requests: gunicorn's sync worker processes, one request
each (docs/deploying.md). Buyers in threads of one process (as until issue 15) queue on the
GIL for their Python, which measures the interpreter lock more than the purchase. The service
and the raw SQL run the same way, and the raw SQL writes the rows the service writes,
the audit trail's row included (_check_books counts them for both).
"""

import json
import multiprocessing
import threading
import time
import traceback
import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import connection, connections, transaction
from django.utils import timezone

from bench import data
from bench.common import percentile, sized, timed_ms
from billing.subscriptions.purchase import purchase_did

# configs: concurrent buyers of each configuration; purchases per configuration; warmup: purchases before.
SIZES = {
    "full": {"configs": (1, 2, 8), "purchases": 2000, "warmup": 50},
    "tiny": {"configs": (1, 2, 8), "purchases": 16, "warmup": 2},
}
SETUP_FEE, PRICE = Decimal("1.0000"), Decimal("2.5000")

TITLE = "Purchase: purchase_did vs hand-written SQL"
NOTES = (
    f"Each configuration makes {SIZES['full']['purchases']:,} purchases of distinct DIDs (setup 1.0000 + price "
    "2.5000), split evenly over the buyers; one process and one connection per buyer (as gunicorn's sync "
    "workers serve requests; threads of one process would measure the GIL), started together. The raw SQL "
    "writes the same rows as the service: subscription, two ledger entries, balance, holder, DID history line "
    "and audit row. *service/raw* is the wall-time ratio (how many times longer the service takes for the "
    "same purchases)."
)


def service_buy(account_id: int, did_id: int) -> None:
    purchase_did(buyer_id=account_id, did_id=did_id, purchase_key=uuid.uuid4().hex)


# The same transaction as purchase_did for a top-level buyer, in the same lock
# order (DID row, then the account), with the same checks and the same rows: the
# subscription, its two ledger entries (pointing at it), the balance, the DID's holder,
# the DID's history line and the audit trail's row.
_LOCK_DID = """SELECT number, status, holder_id, setup_fee, monthly_fee, billing_type, billing_days
    FROM dids_did WHERE id = %s FOR UPDATE"""
_LOCK_ACCOUNT = """SELECT number, name, status, balance, credit_limit FROM accounts_account WHERE id = %s
    FOR NO KEY UPDATE"""
_LAST_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM billing_ledgerentry WHERE account_id = %s"
_INSERT_SUB = """INSERT INTO billing_subscription (did_id, account_id, parent_id, status, setup_fee_currency, setup_fee,
    price_currency, price, billing_type, billing_days, period_start, period_end, sell_setup_fee_currency,
    sell_setup_fee, sell_price_currency, sell_price, started_at, purchase_key, call_type, destination)
    VALUES (%s, %s, NULL, 'active', 'USD', %s, 'USD', %s, %s, %s, %s, %s, 'USD', %s, 'USD', %s, %s, %s, '', '')
    RETURNING id"""
_INSERT_ENTRY = """(%s, %s, %s, 'USD', %s, 'USD', %s, 'USD', %s, %s, %s, %s, %s, %s, %s, %s)"""
_INSERT_ENTRIES = """INSERT INTO billing_ledgerentry (account_id, seq, kind, amount_currency, amount,
    balance_before_currency, balance_before, balance_after_currency, balance_after, did_id, subscription_id,
    period_start, period_end, description, created_at, idempotency_key) VALUES """
_UPDATE_BALANCE = "UPDATE accounts_account SET balance = %s WHERE id = %s"
_UPDATE_HOLDER = "UPDATE dids_did SET holder_id = %s WHERE id = %s"
_INSERT_HISTORY = """INSERT INTO billing_didhistory (did_id, account_id, action, setup_fee_currency, setup_fee,
    price_currency, price, description, at) VALUES (%s, %s, 'purchased', 'USD', %s, 'USD', %s, %s, %s)"""
_INSERT_AUDIT = """INSERT INTO audit_auditentry (at, actor_name, on_behalf_of_name, source, action, did_id,
    did_number, account_id, account_number, object_type, object_id, summary, changes)
    VALUES (%s, '', '', 'command', 'subscription.purchased', %s, %s, %s, %s, 'billing.subscription', %s, %s, %s)"""


class Refused(Exception):
    pass


def raw_buy(account_id: int, did_id: int) -> None:
    key, now = uuid.uuid4().hex, timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_LOCK_DID, [did_id])
        number, did_status, holder, setup, price, billing_type, days = cur.fetchone()
        cur.execute(_LOCK_ACCOUNT, [account_id])
        account_number, name, status, balance, credit = cur.fetchone()
        charge = setup + price
        if did_status != "active" or holder is not None or status != "active" or charge > balance + credit:
            raise Refused(f"DID {did_id} cannot be bought by {account_id}")
        end = now + timedelta(days=days)
        cur.execute(_INSERT_SUB, [did_id, account_id, setup, price, billing_type, days, now, end,
                                  setup, price, now, key])
        subscription_id = cur.fetchone()[0]
        cur.execute(_LAST_SEQ, [account_id])
        seq = cur.fetchone()[0]
        before = balance
        rows, params = [], []
        for kind, amount, start, stop, suffix in (("setup_fee", setup, None, None, "setup"),
                                                  ("did_price", price, now, end, "price")):
            if amount:  # like the service: no entry for a zero amount
                seq += 1
                rows.append(_INSERT_ENTRY)
                params += [account_id, seq, kind, -amount, balance, balance - amount, did_id, subscription_id, start,
                           stop, f"{kind} DID {number}", now, f"{key}:{suffix}"]
                balance -= amount
        # One statement for both entries: the chain trigger sees the first row when checking the second.
        cur.execute(_INSERT_ENTRIES + ", ".join(rows), params)
        cur.execute(_UPDATE_BALANCE, [balance, account_id])
        cur.execute(_UPDATE_HOLDER, [account_id, did_id])
        cur.execute(_INSERT_HISTORY, [did_id, account_id, setup, price, f"Bought by {account_id}", now])
        changes = {"holder": [None, f"{name} ({account_number})"], "balance": [f"{before:.4f}", f"{balance:.4f}"],
                   "setup_fee": [None, f"{setup:.4f}"], "price": [None, f"{price:.4f}"],
                   "sell_setup_fee": [None, f"{setup:.4f}"], "sell_price": [None, f"{price:.4f}"]}
        cur.execute(_INSERT_AUDIT, [now, did_id, number, account_id, account_number, subscription_id,
                                    f"DID {number} bought by {name} ({account_number}) for {charge:.4f}",
                                    json.dumps(changes)])


def _measure(buy, buyers: int, purchases: int) -> dict:
    accounts = data.funded_accounts(buyers, purchases * (SETUP_FEE + PRICE), prefix=f"{buy.__name__} x{buyers}")
    dids = data.dids(purchases, SETUP_FEE, PRICE)
    wall, latencies = _run_buyers(buy, [(accounts[i], dids[i::buyers]) for i in range(buyers)])
    flat = [ms for per_buyer in latencies for ms in per_buyer]
    assert len(flat) == purchases
    return {"per_s": purchases / wall, "p50": percentile(flat, 50), "p95": percentile(flat, 95), "wall": wall}


def _run_buyers(buy, work: list[tuple[int, list[int]]]) -> tuple[float, list[list[float]]]:
    """Each (account, DIDs) of ``work`` bought by a forked process of its own with its own connection,
    all released together by a barrier; (the wall time in seconds from the release to the last
    process's end, each process's latencies in ms)."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(work) + 1), context.Queue()
    database = dict(connection.settings_dict)  # the caller's: see _buyer
    connections.close_all()  # no connection shared with the children
    processes = [context.Process(target=_buyer, args=(buy, account, dids, barrier, results, database), daemon=True)
                 for account, dids in work]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass  # a buyer failed before the start: its error is collected below
    start = time.perf_counter()
    outcomes = [results.get(timeout=600) for _ in processes]
    wall = time.perf_counter() - start
    for process in processes:
        process.join(timeout=60)
    errors = [text for ok, text in outcomes if not ok]
    if errors:
        raise RuntimeError(f"{len(errors)} buyer(s) failed; the first:\n{errors[0]}")
    return wall, [latencies for _, latencies in outcomes]


def _buyer(buy, account: int, dids: list[int], barrier, results, database: dict) -> None:
    try:
        # A connection of our own to the caller's database. The caller closed its connections before the
        # fork, but Django keeps them per thread and context, and a forked child can find a wrapper the
        # caller's close did not reach, still open on the parent's socket (seen under pytest after a
        # Playwright test: it was the tests' database, with none of the DIDs). Drop it unclosed (closing
        # would end the parent's session) and connect anew.
        connection.connection = None
        connection.settings_dict.update(database)
        connection.ensure_connection()  # connect before the start, not inside the timing
        barrier.wait(timeout=120)
        latencies = [timed_ms(buy, account, did_id)[0] for did_id in dids]
        results.put((True, latencies))
    except BaseException:  # reported by the parent
        barrier.abort()  # do not leave the others waiting at the start
        results.put((False, traceback.format_exc()))
    finally:
        connection.close()


def _check_books(expected_subscriptions: int) -> None:
    """Every purchase landed with the same rows from both (one history line and one audit row per
    subscription, two entries pointing at it), and balance == sum(entries) for every account."""
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM billing_subscription")
        assert cur.fetchone()[0] == expected_subscriptions
        cur.execute("SELECT COUNT(*) FROM billing_didhistory WHERE action = 'purchased'")
        assert cur.fetchone()[0] == expected_subscriptions
        cur.execute("SELECT COUNT(*) FROM audit_auditentry WHERE action = 'subscription.purchased'")
        assert cur.fetchone()[0] == expected_subscriptions
        cur.execute("SELECT COUNT(*) FROM billing_ledgerentry WHERE subscription_id IS NOT NULL")
        assert cur.fetchone()[0] == 2 * expected_subscriptions
        cur.execute("""SELECT COUNT(*) FROM accounts_account a WHERE a.balance <>
            COALESCE((SELECT SUM(amount) FROM billing_ledgerentry e WHERE e.account_id = a.id), 0)""")
        assert cur.fetchone()[0] == 0, "an account's balance differs from its ledger"


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    for buy in (service_buy, raw_buy):  # warm up connections, caches and code paths
        accounts = data.funded_accounts(1, n.warmup * (SETUP_FEE + PRICE), prefix="warm-up")
        for did_id in data.dids(n.warmup, SETUP_FEE, PRICE):
            buy(accounts[0], did_id)
    rows = []
    for buyers in n.configs:
        service, raw = _measure(service_buy, buyers, n.purchases), _measure(raw_buy, buyers, n.purchases)
        rows.append({
            "buyers": buyers,
            "purchases": n.purchases,
            "service /s": f"{service['per_s']:.0f}",
            "service p50 ms": f"{service['p50']:.2f}",
            "service p95 ms": f"{service['p95']:.2f}",
            "raw SQL /s": f"{raw['per_s']:.0f}",
            "raw p50 ms": f"{raw['p50']:.2f}",
            "raw p95 ms": f"{raw['p95']:.2f}",
            "service/raw": f"{service['wall'] / raw['wall']:.2f}x",
        })
    _check_books(2 * n.warmup + 2 * n.purchases * len(n.configs))
    return rows
