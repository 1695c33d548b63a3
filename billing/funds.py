"""Admin money movements: refills ("Add funds") and adjustments."""

from decimal import Decimal

from django.db import transaction

from billing.ledger import lock_accounts, post
from billing.models import LedgerEntry


def add_funds(*, account_id: int, amount: Decimal, by=None, description: str = "", idempotency_key=None) -> LedgerEntry:
    if amount <= 0:
        raise ValueError("a refill must be positive")
    with transaction.atomic():
        account = lock_accounts([account_id])[account_id]
        return post(
            account=account,
            amount=amount,
            kind=LedgerEntry.Kind.FUNDS_ADDED,
            by=by,
            description=description or "Funds added",
            idempotency_key=idempotency_key,
        )
