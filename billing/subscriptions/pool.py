"""Which DIDs an account may buy: its parent's pool.

For an account under the operator: every Active DID nobody holds. For an
account under a reseller: the Active DIDs that reseller holds and has not sold on.
"""

from django.db.models import Exists, OuterRef

from billing.models import Subscription
from dids.models import DID


def _sold_on():
    return Subscription.objects.filter(parent=OuterRef("pk"), status=Subscription.Status.ACTIVE)


def unsold_holdings(seller_id: int):
    """A reseller's active subscriptions that it has not sold on."""
    return (
        Subscription.objects.filter(account_id=seller_id, status=Subscription.Status.ACTIVE)
        .exclude(Exists(_sold_on()))
    )


def pool_for(account):
    """DIDs ``account`` may buy, as a DID queryset."""
    dids = DID.objects.filter(status=DID.Status.ACTIVE)
    if account.parent_id is None:
        return dids.filter(holder__isnull=True)
    return dids.filter(Exists(unsold_holdings(account.parent_id).filter(did=OuterRef("pk"))))


def seller_holding(account, did_id: int):
    """The parent's subscription that ``account`` would buy from (None for the operator)."""
    if account.parent_id is None:
        return None
    return unsold_holdings(account.parent_id).filter(did_id=did_id).first()
