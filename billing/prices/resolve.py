"""Price resolution: what a buyer pays for a DID. One place, used by the Buy DIDs
list, the Purchase (Edit Info) page and the purchase itself, so the three can
never disagree.

A buyer buys from its parent. The price, in this order (DESIGN.md section 4):
  1. the seller's override for this buyer (billing.models.PriceOverride);
  2. the seller's default sell cost: a reseller's SELL COST on its subscription,
     or for the operator the DID product's Setup Fee and MonthlyFee.
"""

from dataclasses import dataclass
from decimal import Decimal

from billing.models import PriceOverride
from core.money import quantize


@dataclass(frozen=True)
class Price:
    setup_fee: Decimal
    price: Decimal  # one billing period
    billing_type: str
    billing_days: int

    @property
    def total_now(self) -> Decimal:
        """What a purchase charges: Setup Fee + Price (the first period)."""
        return quantize(self.setup_fee + self.price)


def operator_price(did) -> Price:
    return Price(quantize(did.setup_fee.amount), quantize(did.monthly_fee.amount), did.billing_type, did.billing_days)


def reseller_price(did, seller_subscription) -> Price:
    return Price(
        quantize(seller_subscription.sell_setup_fee.amount),
        quantize(seller_subscription.sell_price.amount),
        did.billing_type,
        did.billing_days,
    )


def override_price(did, override) -> Price:
    return Price(quantize(override.setup_fee.amount), quantize(override.price.amount), did.billing_type,
                 did.billing_days)


def default_price(did, seller_subscription=None) -> Price:
    """The seller's default sell cost (None = the operator)."""
    if seller_subscription is None:
        return operator_price(did)
    return reseller_price(did, seller_subscription)


def find_override(did_id, seller_subscription, buyer_id):
    if buyer_id is None:
        return None
    return PriceOverride.objects.filter(
        did_id=did_id, seller_subscription=seller_subscription, buyer_id=buyer_id
    ).first()


def price_for(did, seller_subscription=None, buyer_id=None) -> Price:
    """The price ``buyer_id`` pays for ``did`` from its seller (``seller_subscription``
    None = the operator)."""
    override = find_override(did.pk, seller_subscription, buyer_id)
    if override is not None:
        return override_price(did, override)
    return default_price(did, seller_subscription)


def prices_for(account, dids, seller_subs: dict) -> dict:
    """``price_for`` for a whole page of ``dids`` in one query: {did pk: Price}.
    ``seller_subs`` maps did pk to the seller's subscription (empty for the operator)."""
    ids = [d.pk for d in dids]
    overrides = PriceOverride.objects.filter(buyer=account, did_id__in=ids)
    if account.parent_id is None:
        overrides = overrides.filter(seller_subscription__isnull=True)
    else:
        overrides = overrides.filter(seller_subscription__in=[s.pk for s in seller_subs.values()])
    by_did = {o.did_id: o for o in overrides}
    result = {}
    for did in dids:
        if did.pk in by_did:
            result[did.pk] = override_price(did, by_did[did.pk])
        else:
            result[did.pk] = default_price(did, seller_subs.get(did.pk))
    return result
