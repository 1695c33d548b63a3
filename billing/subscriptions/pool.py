"""Which DIDs an account may buy: its parent's pool.

For an account under the operator: every Active DID nobody holds. For an account under a
reseller: the Active DIDs that reseller holds and has not sold on, while it may sell them
(billing/subscriptions/sellable.py: the reseller active, no link of the DID's chain in grace).
"""

from django.db.models import Exists, OuterRef

from billing.subscriptions.holdings import unsold_holdings
from billing.subscriptions.sellable import for_sale
from dids.models import DID


def pool_for(account):
    """DIDs ``account`` may buy, as a DID queryset."""
    dids = DID.objects.filter(status=DID.Status.ACTIVE)
    if account.parent_id is None:
        return dids.filter(holder__isnull=True)
    return dids.filter(Exists(for_sale(unsold_holdings(account.parent_id)).filter(did=OuterRef("pk"))))
