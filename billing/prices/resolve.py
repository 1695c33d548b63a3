"""The price rule, in one pure function: what a buyer pays its seller for a DID.

A buyer buys from its parent. The price, in this order (DESIGN.md section 4):
  1. the seller's override for this buyer (a PriceOverride);
  2. the seller's default sell cost: a reseller's SELL COST on its holding, or for the
     operator the DID product's Setup Fee and MonthlyFee.

``resolve`` takes the values (the DID, the seller's holding, the override found for the
buyer) and returns the Price: no database (billing/prices/lookups.py finds the override).
Buy DIDs, the Purchase page, the purchase, Edit Info and the renewals all call it, so they
can never disagree.
"""

from dataclasses import dataclass
from decimal import Decimal

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


def _amount(value) -> Decimal:
    return quantize(getattr(value, "amount", value))  # a Money, or a Decimal


def resolve(did, seller_holding=None, override=None) -> Price:
    """The price a buyer pays for ``did``: ``override`` (the seller's for this buyer, or None),
    else the seller's default: ``seller_holding``'s SELL COST, or the product's for the operator
    (``seller_holding`` None)."""
    if override is not None:
        setup_fee, price = override.setup_fee, override.price
    elif seller_holding is not None:
        setup_fee, price = seller_holding.sell_setup_fee, seller_holding.sell_price
    else:
        setup_fee, price = did.setup_fee, did.monthly_fee
    return Price(_amount(setup_fee), _amount(price), did.billing_type, did.billing_days)
