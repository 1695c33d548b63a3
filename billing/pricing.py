"""Price resolution: what a buyer pays for a DID. One place, used by the Buy DIDs
list, the Purchase (Edit Info) page and the purchase itself, so the three can
never disagree.

A buyer buys from its parent: the operator sells at the DID product's Setup Fee
and MonthlyFee; a reseller sells at the SELL COST of its own subscription.
"""

from dataclasses import dataclass
from decimal import Decimal

from billing_portal.money import quantize


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


def price_for(did, seller_subscription=None) -> Price:
    """The price a buyer pays for ``did`` from its seller (None = the operator)."""
    if seller_subscription is None:
        return operator_price(did)
    return reseller_price(did, seller_subscription)
