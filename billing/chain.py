"""A DID's chain of holders, top to bottom, with what each level pays and earns.

All active subscriptions of one DID form a single chain: one top-level holder
(bought from the operator) and at most one buyer below each holder (the
partial unique indexes on Subscription guarantee it).
"""

from dataclasses import dataclass
from decimal import Decimal

from billing.models import Subscription
from billing_portal.money import quantize


@dataclass(frozen=True)
class Level:
    account: object  # None for the operator
    subscription: Subscription | None
    pays: Decimal  # per period, to the level above (the operator: the provider's Buy Cost)
    earns: Decimal | None  # per period, from the level below; None when it has not sold it on

    @property
    def margin(self) -> Decimal | None:
        return None if self.earns is None else quantize(self.earns - self.pays)


def did_chain(did) -> list[Level]:
    """The operator, then each holder down the chain. One query."""
    subs = list(Subscription.objects.filter(did=did, status=Subscription.Status.ACTIVE).select_related("account"))
    below = {s.parent_id: s for s in subs}
    levels = []
    top = below.get(None)
    levels.append(Level(None, None, quantize(did.buy_cost.amount), quantize(top.price.amount) if top else None))
    current = top
    while current is not None:
        child = below.get(current.pk)
        levels.append(Level(current.account, current, quantize(current.price.amount),
                            quantize(child.price.amount) if child else None))
        current = child
    return levels
