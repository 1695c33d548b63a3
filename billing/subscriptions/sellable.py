"""When a reseller may sell a DID: the one place of the rule (DESIGN.md section 3.4, issue 16).

A DID is for sale to a buyer under a reseller only while

- that reseller (the buyer's parent, its seller) is active, and
- no active subscription of the DID is in grace (an unpaid renewal).

All active subscriptions of one DID form its one chain (billing/subscriptions/chain.py), and the
seller's holding is unsold, so they are that holding and every holding above it. A holding still
unpaid when its grace ends is released with everything below it (billing/subscriptions/renewals.py):
a number bought below an unpaid link would be lost with it, and it does not ring meanwhile
(routing/lookup.py refuses a chain in grace). Buying from the operator (no parent) is not concerned:
the operator is never suspended, and a DID nobody holds has no chain.

Read three ways, all from here: in SQL for Buy DIDs and the Purchase page (``for_sale``,
billing/subscriptions/pool.py), from the rows a purchase locks (``refusal``,
billing/subscriptions/purchase.py), and for the Purchase page's explanation (``why_not_for_sale``).
"""

from django.db.models import Exists, OuterRef

from accounts.models import Account
from billing.models import Subscription
from billing.subscriptions.holdings import unsold_holdings
from dids.models import DID


def chain_in_grace(did_id) -> Exists:
    """Whether an active subscription of the DID ``did_id`` (an OuterRef to its id) is in grace."""
    return Exists(Subscription.objects.filter(
        did_id=did_id, status=Subscription.Status.ACTIVE, grace_until__isnull=False))


def for_sale(holdings):
    """Those of a seller's unsold ``holdings`` (a queryset) that its buyers may buy now."""
    return holdings.filter(account__status=Account.Status.ACTIVE).filter(~chain_in_grace(OuterRef("did_id")))


def refusal(number: str, *, seller_active: bool, chain_in_grace: bool) -> str | None:
    """Why the DID ``number`` (as shown: +1 855-580-1802) cannot be bought from a reseller now (None: it can)."""
    if not seller_active:
        return f"DID {number} cannot be bought now: your seller's account is suspended."
    if chain_in_grace:
        return f"DID {number} cannot be bought now: its seller's subscription is unpaid (in grace)."
    return None


def seller_suspended(buyer: Account) -> bool:
    """Whether ``buyer`` buys from a reseller whose account is suspended (one query, none under the operator)."""
    return buyer.parent_id is not None and Account.objects.filter(
        pk=buyer.parent_id, status=Account.Status.SUSPENDED).exists()


def why_not_for_sale(buyer: Account, did_id: int) -> str | None:
    """The refusal for an Active DID of ``buyer``'s seller's pool that is not for sale now; None when it
    is for sale, or not in that pool at all (nothing to explain about another's numbers)."""
    if buyer.parent_id is None:
        return None
    held = (unsold_holdings(buyer.parent_id).filter(did_id=did_id, did__status=DID.Status.ACTIVE)
            .annotate(in_grace=chain_in_grace(OuterRef("did_id"))).select_related("account", "did").first())
    if held is None:
        return None
    return refusal(held.did.shown, seller_active=held.account.is_active, chain_in_grace=held.in_grace)
