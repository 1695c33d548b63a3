"""The low-balance notice: charges that take an account's balance from at or above its threshold
(Account.low_balance_threshold; null = off) to below it send one notice, and at most one per
24 hours per account however many charges follow (Account.low_balance_notified_at).

Decided where balances change (billing/ledger/posting.py, billing/ledger/batch.py), on account
rows their callers hold locked: reading and setting ``low_balance_notified_at`` there is race-free
(two charges at once: the second one sees the first one's balance, already below). The check runs
on the rows in memory, so the common case (no threshold crossed) costs no statement; the caller
writes ``low_balance_notified_at`` with the balance in the UPDATE it runs anyway.
"""

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from core.money import fmt_page, quantize
from notices.models import Notice
from notices.services import Draft, notify_many
from webhooks import outbox
from webhooks.models import EventType

QUIET = timedelta(hours=24)  # at most one low-balance notice per account in this long


def warn_crossed(accounts: Iterable[Account], starts: dict[int, Decimal]) -> bool:
    """Notice each of ``accounts`` whose balance went from at or above its threshold (``starts``:
    its balance before the charges) to below it now, unless it had one in the last 24 hours; set
    its ``low_balance_notified_at`` for the caller to write. Returns whether any was noticed."""
    now, crossed = None, []
    for account in accounts:
        threshold = account.low_balance_threshold
        before = starts.get(account.pk)
        if threshold is None or before is None:
            continue
        if not before >= threshold > quantize(account.balance.amount):
            continue
        now = now or timezone.now()
        last = account.low_balance_notified_at
        if last is not None and now - last < QUIET:
            continue
        account.low_balance_notified_at = now
        crossed.append(account)
    if crossed:
        notify_many([_draft(account) for account in crossed])
        outbox.emit_many([outbox.Draft(EventType.BALANCE_LOW, account.pk, {
            "account": account.number, "balance": account.balance.amount, "threshold": account.low_balance_threshold,
            "currency": str(account.balance.currency)}) for account in crossed])
    return bool(crossed)


def _draft(account: Account) -> Draft:
    balance, threshold = quantize(account.balance.amount), quantize(account.low_balance_threshold)
    currency = account.balance.currency
    return Draft(
        account, Notice.Kind.LOW_BALANCE,
        subject=f"Low balance: {fmt_page(balance)} {currency}",
        body=f"Your balance is {fmt_page(balance)} {currency}, below the {fmt_page(threshold)} {currency} you set for this "
             "alert. Add funds to keep your numbers renewing. (This alert comes at most once a day.)",
        link=reverse("billing:statement"),
    )
