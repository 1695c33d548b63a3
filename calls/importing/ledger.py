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

from core.phone import display
from billing.ledger.posting import lock_accounts
from billing.ledger.batch import LedgerBatch
from billing.models import LedgerEntry


class DailyTotals:
    """Sums per DID, day and chain while the calls are read (integers of 1/10,000: exact and
    fast), spread over the chain's accounts when posted."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()  # statement days are the portal's
        self._days: dict[datetime, object] = {}
        self._sums: dict[tuple, list[int]] = {}  # (did_id, day, chain key) -> [calls, units of each level...]
        self._chains: dict[int, object] = {}

    def add(self, calls: list[tuple]) -> None:
        """``calls``: (row, holdings, chain, costs) of each call charged."""
        days, sums, zone = self._days, self._sums, self.zone
        for row, holdings, chain, costs in calls:
            started_at = row.started_at
            day = days.get(started_at)
            if day is None:
                if len(days) > 200_000:
                    days.clear()
                day = days[started_at] = started_at.astimezone(zone).date()
            key = (holdings.did_id, day, chain.key)
            found = sums.get(key)
            if found is None:
                found = sums[key] = [0] * (len(chain.levels) + 1)
                self._chains[chain.key] = chain
            found[0] += 1
            for n, amount in enumerate(costs.units, start=1):
                found[n] += amount

    def post(self, numbers: dict[int, str], import_id: int) -> int:
        """Write the ledger lines (none for a total of 0: free calls move no money). Returns how many."""
        totals: dict[tuple, list] = defaultdict(lambda: [0, 0])  # (account, did, day, kind) -> [units, calls]
        for (did_id, day, key), (calls, *units) in self._sums.items():
            for level, amount in zip(self._chains[key].levels, units):
                paid = totals[(level.account_id, did_id, day, LedgerEntry.Kind.CALL_CHARGES)]
                paid[0] -= amount
                paid[1] += calls
                if level.seller_id is not None:
                    earned = totals[(level.seller_id, did_id, day, LedgerEntry.Kind.CALL_SALES)]
                    earned[0] += amount
                    earned[1] += calls
        lines = [(key, Decimal(units).scaleb(-4), calls) for key, (units, calls) in totals.items() if units]
        if not lines:
            return 0
        batch = LedgerBatch(lock_accounts({key[0] for key, _, _ in lines}))
        for (account, did_id, day, kind), amount, calls in sorted(lines, key=lambda line: (line[0][0], line[0][2], line[0][1], line[0][3])):
            start = timezone.make_aware(datetime.combine(day, time.min))
            whose = ", charged to the account below" if kind == LedgerEntry.Kind.CALL_SALES else ""
            batch.add(account, amount, kind, did_id=did_id, period_start=start, period_end=start + timedelta(days=1),
                      description=f"{calls} {'call' if calls == 1 else 'calls'} to {display(numbers[did_id])} "
                                  f"on {day.isoformat()}{whose} (CDR import #{import_id})")
        batch.flush()
        return len(lines)
