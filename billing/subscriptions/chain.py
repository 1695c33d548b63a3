"""A DID's chain of holders, top to bottom, with what each level pays and earns.

All active subscriptions of one DID form a single chain: one top-level holder
(bought from the operator) and at most one buyer below each holder (the
partial unique indexes on Subscription guarantee it).
"""

from dataclasses import dataclass
from decimal import Decimal

from billing.models import Subscription
from core.money import quantize


@dataclass(frozen=True)
class Level:
    account: object  # None for the operator
    subscription: Subscription | None
    pays: Decimal  # per period, to the level above (the operator: the provider's Buy Cost)
    earns: Decimal | None  # per period, from the level below; None when it has not sold it on

    @property
    def margin(self) -> Decimal | None:
        return None if self.earns is None else quantize(self.earns - self.pays)


def top_down(subscriptions) -> list[Subscription]:
    """One DID's active subscriptions in chain order: the top-level holder, then each buyer below."""
    below = {s.parent_id: s for s in subscriptions}
    chain, current = [], below.get(None)
    while current is not None:
        chain.append(current)
        current = below.get(current.pk)
    return chain


def did_chain(did) -> list[Level]:
    """The operator, then each holder down the chain. One query."""
    chain = top_down(Subscription.objects.filter(did=did, status=Subscription.Status.ACTIVE).select_related("account"))
    prices = [quantize(s.price.amount) for s in chain] + [None]
    levels = [Level(None, None, quantize(did.buy_cost.amount), prices[0])]
    for n, sub in enumerate(chain):
        levels.append(Level(sub.account, sub, prices[n], prices[n + 1]))
    return levels
