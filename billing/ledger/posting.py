"""Posting to the ledger: the only code that changes an account's balance.

Callers run inside ``transaction.atomic`` and pass accounts they have already
locked (core/locking.py holds the order); ``post`` locks them itself when
called alone.
"""

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum

from accounts.models import Account, acting_user
from billing.models import LedgerEntry
from core import locking
from core.money import money, quantize
from core.prepared import insert, update
from notices.low_balance import warn_crossed


class LedgerError(Exception):
    pass


def lock_accounts(account_ids) -> dict[int, Account]:
    """Lock these accounts, in ascending id order (core/locking.py)."""
    return locking.lock_accounts(Account.objects.filter(pk__in=set(account_ids)))


def post(
    *,
    account: Account,
    amount: Decimal,
    kind: str,
    by=None,
    description: str = "",
    did=None,
    subscription=None,
    period_start=None,
    period_end=None,
    idempotency_key: str | None = None,
) -> LedgerEntry:
    """Add one entry and move the balance by ``amount`` (negative = debit).

    ``account`` must be a row locked in the current transaction.
    """
    return post_many([dict(account=account, amount=amount, kind=kind, description=description, did=did,
                           subscription=subscription, period_start=period_start, period_end=period_end,
                           idempotency_key=idempotency_key)], by=by)[0]


def post_many(entries: list[dict], *, by=None) -> list[LedgerEntry]:
    """``post`` for several entries at once (a purchase: its setup fee, its first period and the
    seller's sale), in two statements whatever their number: one INSERT of every entry, in the
    given order, each continuing its account's chain, and one UPDATE of the balances. The INSERT
    reads each account's last sequence number itself (and returns the new ones): the chain
    trigger sees the rows the same statement inserted before, the sequence numbers are each
    account's last + 1, 2... in the order given. Each of ``entries`` holds ``post``'s keyword
    arguments but ``by``.

    The accounts must be rows locked in the current transaction; their balances move in memory too.
    An account whose balance these entries take below its low-balance threshold gets its notice
    (notices/low_balance.py): decided on the locked rows in memory, so no statement is added unless
    one does (then the UPDATE writes ``low_balance_notified_at`` too, and the notice is inserted).
    """
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("ledger posts must run inside a transaction")
    if any(entry["account"].balance.currency.code != "USD" for entry in entries):
        raise LedgerError("currency mismatch")
    actor = acting_user(by)
    accounts, counts, seqs, rows, starts = {}, {}, [], [], {}
    for entry in entries:
        account = entry["account"]
        accounts[account.pk] = account
        starts.setdefault(account.pk, quantize(account.balance.amount))  # before these entries
        counts[account.pk] = counts.get(account.pk, 0) + 1
        seqs.append([account.pk, counts[account.pk]])  # the account's last sequence number + this
        amount = quantize(entry["amount"])
        before = quantize(account.balance.amount)
        after = before + amount
        rows.append(LedgerEntry(
            account=account,
            kind=entry["kind"],
            amount=money(amount),
            balance_before=money(before),
            balance_after=money(after),
            did=entry.get("did"),
            subscription=entry.get("subscription"),
            period_start=entry.get("period_start"),
            period_end=entry.get("period_end"),
            description=entry.get("description", "")[:255],
            created_by=actor,
            idempotency_key=entry.get("idempotency_key"),
        ))
        account.balance = money(after)
    insert(rows, computed={"seq": (_next_seq_sql(), seqs)})
    warned = warn_crossed(accounts.values(), starts)
    update(list(accounts.values()), ["balance", "low_balance_notified_at"] if warned else ["balance"])
    return rows


def _next_seq_sql() -> str:
    """The SQL of an account's next sequence number: its last entry's (through the (account, seq)
    index) + an offset (1 for its first entry of the INSERT, 2 for the second...)."""
    quote = connection.ops.quote_name
    table, seq = quote(LedgerEntry._meta.db_table), quote("seq")
    # ORDER BY ... LIMIT 1, not MAX(): the planner may take MAX over the account index, reading
    # every entry of the account.
    return (f"COALESCE((SELECT e.{seq} FROM {table} e WHERE e.{quote('account_id')} = %s "
            f"ORDER BY e.{seq} DESC LIMIT 1), 0) + %s")


def ledger_sum(account_id: int) -> Decimal:
    total = LedgerEntry.objects.filter(account_id=account_id).aggregate(s=Sum("amount"))["s"]
    return quantize(total or 0)
