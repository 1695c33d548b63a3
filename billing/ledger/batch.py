"""Posting many ledger entries at once, for the billing run.

The same rules as billing.ledger.posting.post (each entry continues its account's chain,
the balance moves with it, accounts are locked by the caller), but the entries
go in with one INSERT (plain tuples, no model instances) and the balances with
one UPDATE per flush, instead of three statements per entry. The database triggers check every row the same way.
An account that a flush takes below its low-balance threshold gets its notice (notices/low_balance.py),
as with post.
"""

from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Account
from billing.models import LedgerEntry
from core.bulk_update import insert_rows, update_rows
from core.money import money, quantize
from notices.low_balance import warn_crossed

CURRENCY = settings.PORTAL_CURRENCY
COLUMNS = ["account_id", "seq", "kind", "amount", "amount_currency", "balance_before", "balance_before_currency",
           "balance_after", "balance_after_currency", "did_id", "subscription_id", "period_start", "period_end",
           "description", "created_at"]


class LedgerBatch:
    def __init__(self, accounts: dict[int, Account]):
        """``accounts``: rows locked in this transaction, by id (billing.ledger.posting.lock_accounts)."""
        self.accounts = accounts
        self._rows: list[tuple] = []
        self._touched: set[int] = set()
        self._starts: dict[int, Decimal] = {}  # each touched account's balance before the unflushed entries
        self._last_seq: dict[int, int] = {}
        self.resync(accounts.keys())

    def resync(self, account_ids) -> None:
        """Re-read the last sequence numbers (after entries were posted outside the batch)."""
        ids = list(account_ids)
        # Each account's newest entry through the (account, seq) index: one row per account,
        # however long its ledger (a MAX(seq) GROUP BY would read all of them).
        newest = LedgerEntry.objects.filter(account=OuterRef("pk")).order_by("-seq").values("seq")[:1]
        last = dict(Account.objects.filter(pk__in=ids).annotate(m=Subquery(newest)).values_list("pk", "m"))
        for account_id in ids:
            self._last_seq[account_id] = last.get(account_id) or 0

    def available(self, account_id: int) -> Decimal:
        """What the account may spend now: balance + credit limit."""
        account = self.accounts[account_id]
        return quantize(account.balance.amount + account.credit_limit.amount)

    def add(self, account_id: int, amount: Decimal, kind: str, *, did_id=None, subscription_id=None,
            period_start=None, period_end=None, description: str = "") -> None:
        account = self.accounts[account_id]
        amount = quantize(amount)
        before = quantize(account.balance.amount)
        after = before + amount
        self._starts.setdefault(account_id, before)
        seq = self._last_seq[account_id] + 1
        self._rows.append((account_id, seq, kind, amount, CURRENCY, before, CURRENCY, after, CURRENCY, did_id,
                           subscription_id, period_start, period_end, description[:255], timezone.now()))
        self._last_seq[account_id] = seq
        account.balance = money(after)
        self._touched.add(account_id)

    def flush(self) -> None:
        if not self._rows:
            return
        insert_rows(LedgerEntry, COLUMNS, self._rows)
        touched = [self.accounts[i] for i in sorted(self._touched)]
        warned = warn_crossed(touched, self._starts)
        update_rows(Account, ["balance", "low_balance_notified_at"] if warned else ["balance"], touched)
        self._rows, self._touched, self._starts = [], set(), {}
