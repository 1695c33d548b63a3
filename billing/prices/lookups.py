"""Finding what the price rule (billing/prices/resolve.py) needs: a seller's override for a
buyer, for one DID or for a page of DIDs in one query."""

from billing.models import PriceOverride
from billing.prices.resolve import Price, resolve


def find_override(did_id, seller_holding, buyer_id):
    """The seller's override for ``buyer_id`` on the DID (``seller_holding`` None: the operator's)."""
    if buyer_id is None:
        return None
    return PriceOverride.objects.filter(did_id=did_id, seller_subscription=seller_holding, buyer_id=buyer_id).first()


def price_for(did, seller_holding=None, buyer_id=None) -> Price:
    """The price ``buyer_id`` pays for ``did`` from its seller (``seller_holding`` None = the operator)."""
    return resolve(did, seller_holding, find_override(did.pk, seller_holding, buyer_id))


def prices_for(account, dids, seller_holdings: dict) -> dict:
    """``price_for`` for a whole page of ``dids`` in one query: {did pk: Price}.
    ``seller_holdings`` maps did pk to the seller's holding (empty for the operator)."""
    ids = [d.pk for d in dids]
    overrides = PriceOverride.objects.filter(buyer=account, did_id__in=ids)
    if account.parent_id is None:
        overrides = overrides.filter(seller_subscription__isnull=True)
    else:
        overrides = overrides.filter(seller_subscription__in=[s.pk for s in seller_holdings.values()])
    by_did = {o.did_id: o for o in overrides}
    return {did.pk: resolve(did, seller_holdings.get(did.pk), by_did.get(did.pk)) for did in dids}
