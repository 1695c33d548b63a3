"""Posting to the ledger: the only code that changes an account's balance.

Callers run inside ``transaction.atomic`` and pass accounts they have already
locked (core/locking.py holds the order); ``post`` locks them itself when
called alone.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from accounts.models import Account, acting_user
from billing.models import LedgerEntry
from core import locking
from core.money import money, quantize


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
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("ledger posts must run inside a transaction")
    amount = quantize(amount)
    if account.balance.currency.code != "USD":
        raise LedgerError("currency mismatch")
    last = account.ledger_entries.order_by("-seq").values_list("seq", flat=True).first() or 0
    before = quantize(account.balance.amount)
    after = before + amount
    entry = LedgerEntry.objects.create(
        account=account,
        seq=last + 1,
        kind=kind,
        amount=money(amount),
        balance_before=money(before),
        balance_after=money(after),
        did=did,
        subscription=subscription,
        period_start=period_start,
        period_end=period_end,
        description=description[:255],
        created_by=acting_user(by),
        idempotency_key=idempotency_key,
    )
    account.balance = money(after)
    Account.objects.filter(pk=account.pk).update(balance=money(after))
    return entry


def ledger_sum(account_id: int) -> Decimal:
    total = LedgerEntry.objects.filter(account_id=account_id).aggregate(s=Sum("amount"))["s"]
    return quantize(total or 0)
