"""Fast, valid test data for the benchmarks: bulk_create in one transaction,
with ledger chains the database triggers accept (seq 1..n, each entry starting
at the previous balance_after, the account balance equal to the last one at
commit)."""

import itertools
from decimal import Decimal

from django.db import transaction

from accounts.models import Account
from billing.models import LedgerEntry
from core.money import money
from dids.models import DID, Provider

# The database is fresh at every run, so plain counters give unique numbers
# (and skip the per-row uniqueness query of the model defaults).
_account_numbers = itertools.count(8_000_000_000)
_did_numbers = itertools.count(0)


def funded_accounts(count: int, amount: Decimal, prefix: str) -> list[int]:
    """``count`` top-level reseller accounts, each refilled with ``amount`` (one entry)."""
    amount = Decimal(amount)
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            Account(number=str(next(_account_numbers)), name=f"{prefix} {i}", kind=Account.Kind.RESELLER,
                    balance=money(amount))
            for i in range(count)
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(account=a, seq=1, kind=LedgerEntry.Kind.FUNDS_ADDED, amount=money(amount),
                        balance_before=money(0), balance_after=money(amount), description="Benchmark funds")
            for a in accounts
        )
    return [a.pk for a in accounts]


def dids(count: int, setup_fee: Decimal, monthly_fee: Decimal) -> list[int]:
    """``count`` active DIDs nobody holds, at the given prices."""
    provider = Provider.objects.order_by("pk").first()  # the default provider made by migrate
    rows = DID.objects.bulk_create(
        (DID(number=f"+1555{next(_did_numbers):07d}", provider=provider, country="US",
             setup_fee=money(setup_fee), monthly_fee=money(monthly_fee), billing_days=30)
         for _ in range(count)),
        batch_size=2000,
    )
    return [d.pk for d in rows]


def ledger_chain(account: Account, entries, batch_size: int = 5000) -> Decimal:
    """Append ``entries`` — (kind, amount, did, period_start, period_end, description)
    tuples — to a new account's ledger and set its balance; returns that balance.
    Must run inside the caller's transaction (the balance check is at commit)."""
    balance = Decimal("0.0000")
    batch = []
    for seq, (kind, amount, did, start, end, text) in enumerate(entries, start=1):
        after = balance + amount
        batch.append(LedgerEntry(
            account=account, seq=seq, kind=kind, amount=money(amount), balance_before=money(balance),
            balance_after=money(after), did=did, period_start=start, period_end=end, description=text,
        ))
        balance = after
        if len(batch) == batch_size:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)
    Account.objects.filter(pk=account.pk).update(balance=money(balance))
    return balance
