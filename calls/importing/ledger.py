"""Call charges on statements: one ledger line per account, DID and day (the calls
page keeps every call), so a million calls are a few thousand balance moves.

A level pays its seller's rate for each call (Call charges); a reseller is credited
what the level below pays it (Call charges to account below), as for monthly prices.
Accounts are locked in ascending id order, the order every money change uses.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from billing.ledger import lock_accounts
from billing.ledger_batch import LedgerBatch
from billing.models import LedgerEntry


class DailyTotals:
    def __init__(self):
        # (account_id, did_id, day, kind) -> [amount, calls]
        self.totals: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
        self.zone = timezone.get_current_timezone()  # statement days are the portal's

    def add(self, did_id: int, started_at: datetime, charges: list[tuple]) -> None:
        day = started_at.astimezone(self.zone).date()
        for account, seller, _level, amount in charges:
            paid = self.totals[(account, did_id, day, LedgerEntry.Kind.CALL_CHARGES)]
            paid[0] -= amount
            paid[1] += 1
            if seller is not None:
                earned = self.totals[(seller, did_id, day, LedgerEntry.Kind.CALL_SALES)]
                earned[0] += amount
                earned[1] += 1

    def post(self, numbers: dict[int, str], import_id: int) -> int:
        """Write the ledger lines (none for a total of 0: free calls move no money). Returns how many."""
        lines = [(key, amount, calls) for key, (amount, calls) in self.totals.items() if amount]
        if not lines:
            return 0
        batch = LedgerBatch(lock_accounts({key[0] for key, _, _ in lines}))
        for (account, did_id, day, kind), amount, calls in sorted(lines, key=lambda line: (line[0][0], line[0][2], line[0][1], line[0][3])):
            start = timezone.make_aware(datetime.combine(day, time.min))
            whose = ", charged to the account below" if kind == LedgerEntry.Kind.CALL_SALES else ""
            batch.add(account, amount, kind, did_id=did_id, period_start=start, period_end=start + timedelta(days=1),
                      description=f"{calls} {'call' if calls == 1 else 'calls'} to {numbers[did_id].lstrip('+')} "
                                  f"on {day.isoformat()}{whose} (CDR import #{import_id})")
        batch.flush()
        return len(lines)
