"""Setting a reseller's SELL COST call rates (issue 7; DESIGN.md section 6).

The DID product's five rates price a call to the first holder; a reseller may
set its own five for the account below it (all five, or none: then the account
below pays what the reseller pays, following any change above). The rules of
prices hold (billing/prices/book.py): a reseller cannot go below its own rates
(dids.call_rates.below_own); the admin may, once it has seen the warning;
every change writes a DIDHistory row. Rates equal to the seller's own are stored
as "none", so they keep following the level above.

Lock order is the purchase's and the price book's: the DID row, then the
seller's subscription. Every rate change of a DID takes the DID row first, so the
rates read above the seller cannot change under it.
"""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import acting_user
from audit.record import changed, record
from dids.call_rates import below_own, chain_rates, sell_rates
from billing.subscriptions.chain import top_down
from billing.models import Subscription
from dids.models import DIDHistory
from billing.prices.book import BelowCost, PriceRefused, lock_price_rows, write_sell_cost
from billing.subscriptions.holdings import locked_holding
from core.locking import lock_did
from dids.rating import RATE_FIELDS, RATE_NAMES, SELL_RATE_NAMES, Rates
from core.money import fmt, money
from dids.models import DID



class RatesRefused(Exception):
    """Nothing was saved. ``errors`` maps form fields (None: the whole form) to messages."""

    def __init__(self, errors: dict, below_cost: bool = False):
        super().__init__(" ".join(errors.values()))
        self.errors = errors
        self.below_cost = below_cost


@dataclass(frozen=True)
class RateCard:
    """A holder's call rates: what it pays per call and what the account below it pays."""

    buy: Rates
    sell: Rates
    own: bool  # True when the holder set its own sell rates; False: the same as its buy rates


def as_rates(values: dict) -> Rates:
    """Rates from the five form fields (``sell_connection_cost``...)."""
    return Rates(*(values[name] for name in SELL_RATE_NAMES))


def buy_rates(did: DID, holder: Subscription) -> Rates:
    """What ``holder`` pays per call: the DID's rates at the top, else its seller's
    sell rates (or what its seller pays). One query for the DID's chain."""
    chain = top_down(Subscription.objects.filter(did_id=did.pk, status=Subscription.Status.ACTIVE))
    pks = [s.pk for s in chain]
    if holder.pk not in pks:
        raise RatesRefused({None: f"DID {did.shown} is not held by this account."})
    return chain_rates(did, chain)[pks.index(holder.pk)]


def rate_card(did: DID, holder: Subscription | None) -> RateCard:
    """The operator (``holder`` None) buys and sells at the DID's own rates."""
    if holder is None:
        return RateCard(Rates.of(did), Rates.of(did), own=False)
    buy, own = buy_rates(did, holder), sell_rates(holder)
    return RateCard(buy, own or buy, own is not None)


def set_sell_rates(*, did_id: int, seller_id: int, rates: Rates, by, allow_below_cost: bool = False) -> bool:
    """Set a reseller's SELL COST rates for all its buyers. Returns False when nothing changed.
    ``allow_below_cost`` is honoured for the admin only."""
    with transaction.atomic():
        did = lock_did(DID.objects.filter(pk=did_id))
        seller_sub = locked_holding(did_id, seller_id) if did else None
        return write_sell_rates(did, seller_sub, rates=rates, by=by, allow_below_cost=allow_below_cost)


def write_sell_rates(did, seller_sub, *, rates: Rates, by, allow_below_cost: bool = False) -> bool:
    """``set_sell_rates`` on rows the caller has locked, in its transaction."""
    if seller_sub is None:
        raise RatesRefused({None: "This account does not hold this DID, so it has no call rates to set."})
    if not seller_sub.account.is_reseller:
        raise RatesRefused({None: "A customer does not resell: it has no sell rates."})
    buy = buy_rates(did, seller_sub)
    errors = below_own(rates, buy)
    is_admin = getattr(by, "is_portal_admin", False)
    if errors and not (allow_below_cost and is_admin):
        if is_admin:  # below_own speaks to the reseller; the admin acts for it
            errors = {field: text.replace("your own", "its own") for field, text in errors.items()}
        raise RatesRefused(errors, below_cost=True)
    old = sell_rates(seller_sub)
    new = None if rates == buy else rates  # equal: keep following the level above
    if new == old:
        return False
    _write(seller_sub, new)
    _record(did, seller_sub, old or buy, rates, new is None, by)
    return True


def set_sell_cost_and_rates(*, did_id: int, seller_id: int | None, buyer_id: int | None, setup_fee, price,
                            rates: Rates | None, by, allow_below_cost: bool = False) -> tuple[bool, bool]:
    """Edit Info's one Save: the price and (when given) the call rates, both or neither.
    Returns (price changed, rates changed); RatesRefused carries every error by field."""
    errors, below = {}, False
    price_changed = rates_changed = False
    with transaction.atomic():
        try:  # the rows both write, locked once, in core/locking.py's order
            did, seller_sub, buyer = lock_price_rows(did_id, seller_id, buyer_id)
        except PriceRefused as refusal:
            raise RatesRefused({refusal.field: str(refusal)}) from None
        try:
            price_changed = write_sell_cost(did, seller_sub, buyer, setup_fee=setup_fee, price=price, by=by,
                                            allow_below_cost=allow_below_cost)
        except PriceRefused as refusal:  # refused before writing; carry on to report the rates too
            errors[refusal.field] = str(refusal)
            below = isinstance(refusal, BelowCost)
        if rates is not None and seller_id is not None:
            try:
                rates_changed = write_sell_rates(did, seller_sub, rates=rates, by=by, allow_below_cost=allow_below_cost)
            except RatesRefused as refusal:
                errors.update(refusal.errors)
                below = below or refusal.below_cost
        if errors:
            transaction.set_rollback(True)  # the part that succeeded is not kept either
    if errors:
        raise RatesRefused(errors, below_cost=below)
    return price_changed, rates_changed


def _write(seller_sub: Subscription, rates: Rates | None) -> None:
    if rates is None:
        values = dict.fromkeys(SELL_RATE_NAMES)
    else:
        values = {field.sell: money(getattr(rates, field.name)) if field.money else getattr(rates, field.name)
                  for field in RATE_FIELDS}
    Subscription.objects.filter(pk=seller_sub.pk).update(**values)


def describe_change(old: Rates, new: Rates) -> str:
    """'Connection 0.0500 → 0.0600, Increment 6 → 12 s' (only what changed)."""
    parts = []
    for field in RATE_FIELDS:
        before, after = getattr(old, field.name), getattr(new, field.name)
        show = fmt if field.money else _seconds
        if before != after:
            parts.append(f"{field.short} {show(before)} → {show(after)}")
    return ", ".join(parts)


def _seconds(value: int) -> str:
    return f"{value} s"


def _record(did, seller_sub, old: Rates, new: Rates, follows: bool, by) -> None:
    change = describe_change(old, new) or "unchanged"
    if follows:
        change += " (same as its buy cost: follows the level above)"
    DIDHistory.objects.create(
        did=did, account=seller_sub.account, action=DIDHistory.Action.PRICE_CHANGED, actor=acting_user(by),
        description=f"Call rates of {seller_sub.account} for all its buyers: {change}"[:255],
    )
    names = RATE_NAMES
    record("rates.changed", did=did, account=seller_sub.account, obj=seller_sub, by=by,
           summary=f"DID {did.shown}: call rates of {seller_sub.account} for all its buyers: {change}",
           changes=changed({n: getattr(old, n) for n in names}, {n: getattr(new, n) for n in names}))
