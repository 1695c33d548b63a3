"""python manage.py check_ledger

For every account: balance == sum(ledger amounts), and its entries form an
unbroken chain (seq 1..n, entry 1 starts at 0, each entry starts where the one
before ended, balance_after == balance_before + amount). Prints each mismatch
and exits 1 on any; otherwise prints "Ledger OK: N accounts checked".

Three SQL statements whatever the number of accounts or entries (aggregates and
window functions; no query per account), so it stays fast at millions of entries.
With a progress bar (stderr a terminal, no --no-progress) the chain check runs in
SLICES statements over slices of the account numbers, so the bar moves.
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
from core.progress import Progress, ProgressBar, add_progress_option


CHAIN_SQL = """
SELECT a.number, t.seq, t.prev_seq, t.amount, t.balance_before, t.balance_after, t.prev_after
FROM (
    SELECT e.account_id, e.seq, e.amount, e.balance_before, e.balance_after,
           LAG(e.seq) OVER (PARTITION BY e.account_id ORDER BY e.seq) AS prev_seq,
           LAG(e.balance_after) OVER (PARTITION BY e.account_id ORDER BY e.seq) AS prev_after
    FROM {entry} e{in_slice}
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


IN_SLICE = " WHERE e.account_id IN (SELECT id FROM {account} WHERE number BETWEEN %s AND %s)"
SLICES = 20  # statements of the chain check when a bar is drawn
FIRST_NUMBER, NUMBERS = 1_000_000_000, 9_000_000_000  # account numbers: ten digits, never a leading 0


def number_slices(count: int) -> list[tuple[str, str]]:
    """``count`` ranges of account numbers (first, last) covering them all, in order."""
    bounds = [FIRST_NUMBER + NUMBERS * i // count for i in range(count + 1)]
    return [(f"{0 if i == 0 else bounds[i]:010d}", f"{bounds[i + 1] - 1:010d}") for i in range(count)]


def chain_problems(cursor, numbers: tuple[str, str] | None = None):
    """The chain breaks of all accounts, or of those numbered ``numbers`` (first, last)."""
    in_slice = IN_SLICE.format(**tables()) if numbers else ""
    cursor.execute(CHAIN_SQL.format(in_slice=in_slice, **tables()), list(numbers) if numbers else None)
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


def all_problems(cursor, progress: Progress | None = None):
    """Balance problems, then chain breaks. With ``progress``, the chain check in slices of the
    account numbers, the accounts checked estimated from the share done (numbers are random)."""
    if progress is None:
        yield from balance_problems(cursor)
        yield from chain_problems(cursor)
        return
    accounts = Account.objects.count()
    progress(0, accounts, "Balances")
    yield from balance_problems(cursor)
    progress(accounts, accounts, "Balances")
    slices = number_slices(SLICES)
    progress(0, accounts, "Chains")
    for done, numbers in enumerate(slices, 1):
        yield from chain_problems(cursor, numbers)
        progress(accounts * done // len(slices), accounts, "Chains")


class Command(BaseCommand):
    help = "Check that every account's balance equals the sum of its ledger and that each ledger chain is unbroken."

    def add_arguments(self, parser):
        add_progress_option(parser)

    @long_running
    def handle(self, *args, **options):
        problems = 0
        with ProgressBar.for_command(self, options, unit="accounts") as bar, connection.cursor() as cursor:
            for message in all_problems(cursor, bar.callback):
                problems += 1
                bar.close()  # a problem gets its own line, not one under the bar
                self.stdout.write(self.style.ERROR(message))
        accounts = Account.objects.count()
        if problems:
            raise CommandError(f"Ledger check failed: {problems} mismatch(es) among {accounts} accounts.")
        self.stdout.write(self.style.SUCCESS(f"Ledger OK: {accounts} accounts checked"))
