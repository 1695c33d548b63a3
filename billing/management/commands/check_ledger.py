"""python manage.py check_ledger

For every account: balance == sum(ledger amounts), and its entries form an
unbroken chain (seq 1..n, entry 1 starts at 0, each entry starts where the one
before ended, balance_after == balance_before + amount). Prints each mismatch
and exits 1 on any; otherwise prints "Ledger OK: N accounts checked".

Three SQL statements whatever the number of accounts or entries (aggregates and
window functions; no query per account), so it stays fast at millions of entries.
Differences are compared rounded to 4 places: SQLite keeps decimals as floats.
The balance check lives in billing/ledger/checks.py (the billing audit runs it too).
"""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import Account
from billing.ledger.checks import balance_mismatches, tables
from core.db_timeouts import long_running
from core.money import fmt


CHAIN_SQL = """
SELECT a.number, t.seq, t.prev_seq, t.amount, t.balance_before, t.balance_after, t.prev_after
FROM (
    SELECT e.account_id, e.seq, e.amount, e.balance_before, e.balance_after,
           LAG(e.seq) OVER (PARTITION BY e.account_id ORDER BY e.seq) AS prev_seq,
           LAG(e.balance_after) OVER (PARTITION BY e.account_id ORDER BY e.seq) AS prev_after
    FROM {entry} e
) t
JOIN {account} a ON a.id = t.account_id
WHERE t.seq <> COALESCE(t.prev_seq, 0) + 1
   OR ROUND(t.balance_before - COALESCE(t.prev_after, 0), 4) <> 0
   OR ROUND(t.balance_after - t.balance_before - t.amount, 4) <> 0
ORDER BY a.number, t.seq
"""


def _money(value) -> str:
    return fmt(Decimal(str(value)))  # str() first: SQLite hands back floats


def balance_problems(cursor):
    for row in balance_mismatches(cursor):  # shared with the billing audit
        yield f"Account {row.number}: balance {fmt(row.balance)} but its ledger entries sum to {fmt(row.ledger_total)}"


def chain_problems(cursor):
    cursor.execute(CHAIN_SQL.format(**tables()))
    while rows := cursor.fetchmany(1000):
        for number, seq, prev_seq, amount, before, after, prev_after in rows:
            where = f"Account {number} entry #{seq}"
            expected_seq = (prev_seq or 0) + 1
            if seq != expected_seq:
                yield f"{where}: expected entry #{expected_seq} here (the chain has a gap)"
            start = Decimal(0) if prev_after is None else Decimal(str(prev_after))
            if round(Decimal(str(before)) - start, 4) != 0:
                origin = "the chain starts at" if prev_after is None else f"entry #{prev_seq} ends at"
                yield f"{where}: starts at {_money(before)} but {origin} {_money(start)}"
            if round(Decimal(str(after)) - Decimal(str(before)) - Decimal(str(amount)), 4) != 0:
                yield f"{where}: {_money(before)} + {_money(amount)} does not make {_money(after)}"


class Command(BaseCommand):
    help = "Check that every account's balance equals the sum of its ledger and that each ledger chain is unbroken."

    @long_running
    def handle(self, *args, **options):
        problems = 0
        with connection.cursor() as cursor:
            for check in (balance_problems, chain_problems):
                for message in check(cursor):
                    problems += 1
                    self.stdout.write(self.style.ERROR(message))
        accounts = Account.objects.count()
        if problems:
            raise CommandError(f"Ledger check failed: {problems} mismatch(es) among {accounts} accounts.")
        self.stdout.write(self.style.SUCCESS(f"Ledger OK: {accounts} accounts checked"))
