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
        return cls(did.connection_cost.amount, did.grace_time, did.cost_per_min.amount, did.initial_increment,
                   did.increment)


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
