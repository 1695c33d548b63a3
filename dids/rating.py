"""The price of one inbound call (DESIGN.md section 6), exact to the 4th place.

A pure function of the answered seconds and the rates, no database: the CDR
import rates each call for every level of a DID's chain with it, and the call
cost preview shows it for typed durations.
"""

from dataclasses import dataclass
from decimal import Decimal

from core.money import quantize

ZERO = Decimal("0.0000")


@dataclass(frozen=True)
class RateField:
    """One of the five per-call fields: its name (on Rates and on a DID), its label on the
    pages, its short name in history lines, and whether it is money (else whole seconds)."""

    name: str
    label: str
    short: str
    money: bool

    @property
    def sell(self) -> str:
        """The field of a holder's SELL COST on its subscription."""
        return f"sell_{self.name}"


# The one table of the call-rate fields, in the seed's order; everything that lists them reads it.
RATE_FIELDS = (
    RateField("connection_cost", "Connection Cost (USD)", "Connection", True),
    RateField("grace_time", "Grace Time (Sec.)", "Grace", False),
    RateField("cost_per_min", "Cost/Min(USD)", "Cost/Min", True),
    RateField("initial_increment", "Initial Increment", "Initial Increment", False),
    RateField("increment", "Increment", "Increment", False),
)
RATE_NAMES = tuple(field.name for field in RATE_FIELDS)
SELL_RATE_NAMES = tuple(field.sell for field in RATE_FIELDS)


@dataclass(frozen=True)
class Rates:
    """The per-call fields of a DID product (or of a seller's SELL COST)."""

    connection_cost: Decimal  # on every answered call, even inside the grace time
    grace_time: int  # seconds free after the connection cost
    cost_per_min: Decimal
    initial_increment: int  # the first block, charged whole
    increment: int  # each block after it, charged whole (at least 1 second)

    def __post_init__(self):
        if self.increment < 1:
            raise ValueError("Increment must be at least 1 second.")
        if min(self.grace_time, self.initial_increment) < 0 or min(self.connection_cost, self.cost_per_min) < 0:
            raise ValueError("Rates cannot be negative.")

    @classmethod
    def of(cls, did) -> "Rates":
        """The rates of a DID product (the operator's, charged to the first holder)."""
        return cls(*(_plain(getattr(did, name)) for name in RATE_NAMES))

    @classmethod
    def sold_by(cls, subscription) -> "Rates | None":
        """The SELL COST rates a holder set for the account below it; None when it did not."""
        values = [getattr(subscription, name) for name in SELL_RATE_NAMES]
        return None if values[-1] is None else cls(*(_plain(value) for value in values))


def _plain(value):
    return getattr(value, "amount", value)  # a Money field's amount


def call_cost(billsec: int, rates: Rates) -> Decimal:
    """What a call of ``billsec`` answered seconds costs, rounded half up to 4 places once,
    at the end (the blocks are added exactly)."""
    if billsec < 1:
        return ZERO  # unanswered: free
    cost = rates.connection_cost
    seconds = billsec - rates.grace_time
    if seconds > 0:
        cost += rates.cost_per_min * rates.initial_increment / 60
        seconds -= rates.initial_increment
        if seconds > 0:
            blocks = -(-seconds // rates.increment)  # whole blocks, rounded up
            cost += rates.cost_per_min * blocks * rates.increment / 60
    return quantize(cost)
