"""Per-level call rates (DESIGN.md section 6, issue 7).

The DID product's rates price a call to the first holder. A reseller may set
its own five rates in its SELL COST for the account below it; while it has not,
the account below pays what the reseller pays. Pure functions: no database.

"Not below its own" (the rule prices follow) must hold for every call duration.
Comparing the fields one by one is exact only when the reseller's blocks are
its own blocks joined together, so the rule is:
  - Connection Cost and Cost/Min at least its own,
  - Grace Time at most its own,
  - Initial Increment at least its own, and longer by whole Increments of its own,
  - Increment a whole multiple of its own.
Then every duration costs the buyer at least what it costs the reseller: the
buyer's charged seconds end on one of the reseller's own block boundaries, at or
after the point where the reseller's charged seconds end (docs/decisions.md).
"""

from core.money import fmt_page
from dids.rating import Rates


def sell_rates(subscription) -> Rates | None:
    """The SELL COST rates a holder set for the account below it; None when it did not."""
    return Rates.sold_by(subscription)


def chain_rates(did, chain) -> list[Rates]:
    """What each level of a chain (top-down subscriptions) pays per call: the DID's
    rates for the first, then each seller's SELL COST rates (or what the seller pays)."""
    return rates_down(Rates.of(did), [sell_rates(seller) for seller in chain])


def rates_down(first: Rates, sells: list[Rates | None]) -> list[Rates]:
    """The same from plain values: ``first`` the DID's rates, ``sells`` each level's
    SELL COST rates top-down (None = passes on what it pays)."""
    rates = [first]
    for sell in sells[:-1]:
        rates.append(sell or rates[-1])
    return rates[: len(sells)]


def below_own(new: Rates, own: Rates) -> dict[str, str]:
    """Why ``new`` rates would sell below ``own`` for some call, by form field; empty when they do not."""
    errors = {}
    if new.connection_cost < own.connection_cost:
        errors["sell_connection_cost"] = f"Cannot be below your own Connection Cost ({fmt_page(own.connection_cost)})."
    if new.cost_per_min < own.cost_per_min:
        errors["sell_cost_per_min"] = f"Cannot be below your own Cost/Min ({fmt_page(own.cost_per_min)})."
    if new.grace_time > own.grace_time:
        errors["sell_grace_time"] = f"Cannot be longer than your own Grace Time ({own.grace_time} s)."
    if new.initial_increment < own.initial_increment or (new.initial_increment - own.initial_increment) % own.increment:
        errors["sell_initial_increment"] = (
            f"Must be your own Initial Increment ({own.initial_increment} s) plus whole Increments "
            f"of {own.increment} s, e.g. {own.initial_increment} or {own.initial_increment + own.increment}."
        )
    if new.increment % own.increment:
        errors["sell_increment"] = f"Must be a whole multiple of your own Increment ({own.increment} s)."
    return errors
