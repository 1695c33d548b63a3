"""Set-based checks of the ledger against the accounts, shared by
``manage.py check_ledger`` and the billing audit (billing/assurance.py).

Each check is one SQL statement whatever the number of accounts or entries
(aggregates, no query per account). Differences are compared rounded to 4
places: SQLite keeps decimals as floats.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from accounts.models import Account
from billing.models import LedgerEntry
from core.money import quantize


def tables() -> dict[str, str]:
    qn = connection.ops.quote_name
    return {"account": qn(Account._meta.db_table), "entry": qn(LedgerEntry._meta.db_table)}


def to_decimal(value) -> Decimal:
    return quantize(Decimal(str(value)))  # str() first: SQLite hands back floats


BALANCE_SQL = """
SELECT a.id, a.number, a.name, a.balance, COALESCE(s.total, 0)
FROM {account} a
LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM {entry} GROUP BY account_id) s ON s.account_id = a.id
WHERE ROUND(a.balance - COALESCE(s.total, 0), 4) <> 0
ORDER BY a.number
"""


@dataclass(frozen=True)
class BalanceMismatch:
    account_id: int
    number: str
    name: str
    balance: Decimal
    ledger_total: Decimal

    @property
    def difference(self) -> Decimal:
        return self.balance - self.ledger_total


def balance_mismatches(cursor=None) -> list[BalanceMismatch]:
    """Every account whose balance differs from the sum of its ledger entries, by account number."""
    if cursor is None:
        with connection.cursor() as cursor:
            return balance_mismatches(cursor)
    cursor.execute(BALANCE_SQL.format(**tables()))
    return [
        BalanceMismatch(account_id, number, name, to_decimal(balance), to_decimal(total))
        for account_id, number, name, balance, total in cursor.fetchall()
    ]
