"""Who held a DID when a call came in, and what each level paid per call.

A call is charged to the chain of the moment it started (a DID released and
sold again since is not charged to its new holder), at the rates in effect when
the file is rated: the DID's own and each reseller's SELL COST rates (README,
Decisions). Loaded once per DID of the file, then answered from memory.
"""

from bisect import bisect_right
from dataclasses import dataclass

from billing.call_rates import chain_rates
from billing.chain import top_down
from billing.models import Subscription
from billing.rating import Rates
from dids.models import DID


@dataclass(frozen=True)
class Level:
    account_id: int
    seller_id: int | None  # the account above, None for the operator
    rates: Rates


class Holdings:
    """One DID's subscriptions over time, answering "which chain at this moment"."""

    def __init__(self, did: DID, subscriptions: list[Subscription]):
        self.did = did
        self.subscriptions = subscriptions
        # Every moment the chain can change, so a chain is worked out once per stretch, not per call.
        self._changes = sorted({s.started_at for s in subscriptions} | {s.ended_at for s in subscriptions if s.ended_at})
        self._chains: dict[int, tuple[Level, ...]] = {}

    def chain_at(self, moment) -> tuple[Level, ...]:
        stretch = bisect_right(self._changes, moment)
        chain = self._chains.get(stretch)
        if chain is None:
            chain = self._chains[stretch] = self._build(moment)
        return chain

    def _build(self, moment) -> tuple[Level, ...]:
        held = [s for s in self.subscriptions if s.started_at <= moment and (s.ended_at is None or moment < s.ended_at)]
        subs = top_down(held)
        rates = chain_rates(self.did, subs)
        return tuple(
            Level(sub.account_id, subs[n - 1].account_id if n else None, rates[n]) for n, sub in enumerate(subs)
        )


def load_holdings(numbers) -> dict[str, Holdings]:
    """The DIDs of these numbers (those that exist) with all their subscriptions, past and present. Two queries."""
    dids = {d.pk: d for d in DID.objects.filter(number__in=list(numbers))}
    by_did: dict[int, list[Subscription]] = {pk: [] for pk in dids}
    fields = ["id", "did_id", "account_id", "parent_id", "started_at", "ended_at", "status", "sell_connection_cost",
              "sell_connection_cost_currency", "sell_grace_time", "sell_cost_per_min", "sell_cost_per_min_currency",
              "sell_initial_increment", "sell_increment"]
    for sub in Subscription.objects.filter(did_id__in=list(dids)).only(*fields).order_by("started_at", "pk"):
        by_did[sub.did_id].append(sub)
    return {did.number: Holdings(did, by_did[pk]) for pk, did in dids.items()}
