"""Buying DIDs by number at a total the buyer was quoted (the API's POST /api/v1/purchases/).

The buyer names the numbers (E.164) and the total it expects to pay, as it read them from its
available DIDs (offers.py, at its own prices). This reads the numbers' prices now, refuses if one
is not for sale or the total is not the expected one, then buys them all or none through
purchase_many.py with those very prices as each DID's expected price: the same locks, keys,
statements and checks as Buy several, which refuses again (nothing written) if a price changes
between this read and its locks. So what is charged is exactly the expected total, or nothing.

Refusals (PurchaseRefused, nothing written), in the words of the pages, numbers as E.164:

- ``NumbersGone``: a number was bought by someone else a moment ago (the API answers 409);
- ``TotalChanged``: the total differs from ``expected_total`` (a price changed; field ``expected_total``);
- ``NotForSale``: a number that is not in the buyer's pool (never was, or no longer; field ``numbers``);
- the purchase's own (funds, a suspended seller, already held...).
"""

from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Account
from billing.prices.resolve import Price
from billing.subscriptions.offers import with_buyer_prices
from billing.subscriptions.pool import pool_for
from billing.subscriptions.purchase import PurchaseRefused, PurchaseResult, why_gone
from billing.subscriptions.purchase_many import MAX_AT_ONCE, purchase_many
from billing.subscriptions.sellable import why_not_for_sale
from core.money import fmt, quantize
from core.phone import display
from dids.models import DID


class NotForSale(PurchaseRefused):
    field = "numbers"


class NumbersGone(PurchaseRefused):
    """Bought by someone else a moment ago: ``numbers`` (E.164)."""

    def __init__(self, numbers: list[str]):
        self.numbers = numbers
        said = ", ".join(numbers)
        super().__init__(f"DID {said} was just bought by someone else; nothing was bought." if len(numbers) == 1
                         else f"DIDs {said} were just bought by someone else; nothing was bought.")


class TotalChanged(PurchaseRefused):
    field = "expected_total"

    def __init__(self, count: int, total: Decimal, expected: Decimal, currency: str):
        self.total, self.expected = total, expected
        super().__init__(
            f"The price changed: {'this DID costs' if count == 1 else f'these {count} DIDs cost'} {fmt(total)} "
            f"{currency} now, not the {fmt(expected)} expected. Nothing was bought: read the prices again.")


@dataclass(frozen=True)
class Bought:
    bought: list[PurchaseResult]  # in the order of the numbers asked for
    charged: Decimal
    balance: Decimal  # the buyer's balance after the purchase


def quote(buyer: Account, numbers: list[str]) -> dict[str, tuple[DID, Price]]:
    """{number: (DID, the Price ``buyer`` pays now)} of those of ``numbers`` in its pool (offers.py)."""
    dids = with_buyer_prices(pool_for(buyer).filter(number__in=numbers), buyer)
    return {did.number: (did, Price(quantize(did.buy_setup_fee), quantize(did.buy_price), did.billing_type,
                                    did.billing_days)) for did in dids}


def _refuse_missing(buyer: Account, missing: list[str]) -> None:
    """Why some of the numbers asked for are not in the buyer's pool: the most telling refusal."""
    ids = dict(DID.objects.filter(number__in=missing).values_list("number", "pk"))
    sold, other = [], None
    for number in missing:
        if number not in ids:
            other = other or NotForSale(f"DID {number} is not for sale to this account.")
            continue
        reason = why_not_for_sale(buyer, ids[number])  # its seller may not sell it now (suspended, in grace)
        if reason:  # the page's words, the number as E.164
            raise PurchaseRefused(f"{reason.replace(display(number), number)} Nothing was bought.")
        gone = why_gone(buyer, ids[number])
        if gone and "someone else" in gone:
            sold.append(number)
        elif gone:  # already held by the buyer, no longer for sale
            other = other or PurchaseRefused(f"{gone.replace(display(number), number)} Nothing was bought.")
        else:
            other = other or NotForSale(f"DID {number} is not for sale to this account.")
    if sold:
        raise NumbersGone(sold)
    raise other


def check(buyer: Account, numbers: list[str], expected_total: Decimal) -> dict[str, tuple[DID, Price]]:
    """The quote of ``numbers``, or the refusal: one not for sale, or a total other than expected."""
    offers = quote(buyer, numbers)
    missing = [n for n in numbers if n not in offers]
    if missing:
        _refuse_missing(buyer, missing)
    total = quantize(sum((price.total_now for _, price in offers.values()), Decimal(0)))
    if total != quantize(expected_total):
        raise TotalChanged(len(numbers), total, quantize(expected_total), str(buyer.balance.currency))
    return offers


def buy_numbers(*, buyer: Account, numbers: list[str], expected_total: Decimal, purchase_key: str,
                by=None, now=None) -> Bought:
    """Buy every one of ``numbers`` (E.164, distinct) at ``expected_total`` together, or none.
    ``purchase_key`` (at most 40 characters) is purchase_many's: the same key finds the first
    result instead of buying again."""
    if not numbers or len(numbers) > MAX_AT_ONCE:
        raise NotForSale(f"Choose between 1 and {MAX_AT_ONCE} DIDs to buy at once.")
    offers = check(buyer, numbers, expected_total)
    expected = {did.pk: (price.setup_fee, price.price) for did, price in offers.values()}
    try:
        result = purchase_many(buyer_id=buyer.pk, expected=expected, purchase_key=purchase_key, by=by, now=now)
    except PurchaseRefused:
        # Refused under its locks (a price changed, a number sold, since the read above): say which, as above.
        check(buyer, numbers, expected_total)
        raise
    by_number = {r.subscription.did.number: r for r in result.bought}
    balance = Account.objects.filter(pk=buyer.pk).values_list("balance", flat=True).get()
    return Bought([by_number[n] for n in numbers], result.charged, quantize(balance))
