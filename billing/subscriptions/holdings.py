"""Holdings: an account's active subscriptions on DIDs, as the pages and services look
them up. Three questions, three names:

- ``holding(did, account)``: what ``account`` holds on the DID (None if nothing);
- ``unsold_holdings(account)``: what ``account`` holds and has not sold on (its pool);
- ``seller_holding(buyer, did)``: the holding ``buyer`` would buy the DID from: its
  parent's, unsold (None when the parent is the operator).
"""

from django.db.models import Exists, OuterRef

from billing.models import Subscription
from core.locking import lock_holding

ACTIVE = Subscription.Status.ACTIVE


def holding(did_id: int, account_id: int) -> Subscription | None:
    """``account_id``'s active subscription on the DID."""
    return Subscription.objects.filter(did_id=did_id, account_id=account_id, status=ACTIVE).first()


def unsold_holdings(account_id: int):
    """``account_id``'s active subscriptions that it has not sold on (a queryset)."""
    sold_on = Subscription.objects.filter(parent=OuterRef("pk"), status=ACTIVE)
    return Subscription.objects.filter(account_id=account_id, status=ACTIVE).exclude(Exists(sold_on))


def seller_holding(buyer, did_id: int) -> Subscription | None:
    """The parent's unsold holding ``buyer`` would buy the DID from (None for the operator)."""
    if buyer.parent_id is None:
        return None
    return unsold_holdings(buyer.parent_id).filter(did_id=did_id).first()


def locked_holding(did_id: int, account_id: int) -> Subscription | None:
    """``holding``, locked (core/locking.py: after the DID, before accounts)."""
    return lock_holding(Subscription.objects.filter(did_id=did_id, account_id=account_id, status=ACTIVE))
