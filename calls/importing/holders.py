"""Who held a DID when a call came in, and what each level paid per call.

A call is charged to the chain of the moment it started (a DID released and
sold again since is not charged to its new holder), at the rates in effect when
the file is rated: the DID's own and each reseller's SELL COST rates
(docs/decisions.md). Loaded once per DID of the file as plain values (a million calls
touch every DID: model instances would cost seconds), then answered from memory.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import NamedTuple

from dids.call_rates import rates_down
from billing.models import Subscription
from dids.rating import RATE_NAMES, SELL_RATE_NAMES, Rates
from dids.models import DID


@dataclass(frozen=True)
class Level:
    account_id: int
    seller_id: int | None  # the account above, None for the operator
    rates: Rates


class Chain(NamedTuple):
    """Who pays for a call at one moment, top-down, with small ids for the hot loop: ``key``
    (this chain) and ``rates_id`` (its levels' rates: chains of equal rates share it)."""

    levels: tuple[Level, ...]
    key: int
    rates_id: int


_CHAIN_KEYS = count(1)
_RATES_IDS: dict[tuple[Rates, ...], int] = {}  # for the process: the distinct sets of rates are few


@dataclass(frozen=True)
class Holding:
    """One subscription, as much of it as rating needs."""

    pk: int
    parent_id: int | None
    account_id: int
    started_at: datetime
    ended_at: datetime | None
    sell: Rates | None

    def held_at(self, moment) -> bool:
        return self.started_at <= moment and (self.ended_at is None or moment < self.ended_at)


class Holdings:
    """One DID's subscriptions over time, answering "which chain at this moment"."""

    def __init__(self, did_id: int, number: str, rates: Rates, holdings: list[Holding]):
        self.did_id, self.number, self.rates, self.holdings = did_id, number, rates, holdings
        # Every moment the chain can change, so a chain is worked out once per stretch, not per call.
        self._changes = sorted({h.started_at for h in holdings} | {h.ended_at for h in holdings if h.ended_at})
        self._chains: dict[int, Chain] = {}

    def chain_at(self, moment) -> Chain:
        stretch = bisect_right(self._changes, moment)
        chain = self._chains.get(stretch)
        if chain is None:
            chain = self._chains[stretch] = self._build(moment)
        return chain

    def _build(self, moment) -> Chain:
        below = {h.parent_id: h for h in self.holdings if h.held_at(moment)}
        subs, current = [], below.get(None)
        while current is not None:  # top-down, as billing.subscriptions.chain.top_down
            subs.append(current)
            current = below.get(current.pk)
        rates = rates_down(self.rates, [h.sell for h in subs])
        levels = tuple(Level(h.account_id, subs[n - 1].account_id if n else None, rates[n]) for n, h in enumerate(subs))
        rates_id = _RATES_IDS.setdefault(tuple(rates[:len(subs)]), len(_RATES_IDS))
        return Chain(levels, next(_CHAIN_KEYS), rates_id)


def load_holdings(numbers) -> dict[str, Holdings]:
    """The DIDs of these numbers (those that exist) with all their subscriptions, past and present. Two queries."""
    dids = {
        pk: (number, Rates(*rates))
        for pk, number, *rates in DID.objects.filter(number__in=list(numbers)).values_list("pk", "number", *RATE_NAMES)
    }
    by_did: dict[int, list[Holding]] = {pk: [] for pk in dids}
    rows = Subscription.objects.filter(did_id__in=list(dids)).order_by("started_at", "pk").values_list(
        "did_id", "pk", "parent_id", "account_id", "started_at", "ended_at", *SELL_RATE_NAMES)
    for did_id, pk, parent, account, started, ended, *sold in rows:
        sell = None if sold[-1] is None else Rates(*sold)  # without an Increment, no SELL COST rates
        by_did[did_id].append(Holding(pk, parent, account, started, ended, sell))
    return {number: Holdings(pk, number, rates, by_did[pk]) for pk, (number, rates) in dids.items()}
