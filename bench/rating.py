"""Rating throughput: dids.rating.call_cost (exact Decimal, one call at a time, as
the CDR import will use it) beside a vectorised NumPy version of the same formula
in exact integer arithmetic (units of 0.0001 / 60), on the same 1,000,000 calls;
every result is compared."""

import random
import time
from decimal import Decimal

import numpy as np

from bench.common import sized
from dids.rating import Rates, call_cost

TITLE = "Rating inbound calls: call_cost vs NumPy"
SIZES = {"full": {"calls": 1_000_000}, "tiny": {"calls": 5_000}}
RATES = [
    ("DESIGN.md example (0.05 + 0.60/min, grace 10, 30/6)", Rates(Decimal("0.05"), 10, Decimal("0.60"), 30, 6)),
    ("per minute (0 + 1.20/min, 60/60)", Rates(Decimal("0"), 0, Decimal("1.20"), 60, 60)),
    ("per second (0.0100 + 0.0123/min, 1/1)", Rates(Decimal("0.0100"), 0, Decimal("0.0123"), 1, 1)),
]
NOTES = (
    f"{SIZES['full']['calls']:,} calls per rate set, durations uniform in 0..3,600 s (about 1 in 3,600 "
    "unanswered). *call_cost*: the portal's function, one Python call per call (Decimal arithmetic, rounded "
    "half up once). *NumPy*: the same "
    "formula on whole arrays in int64, in units of 0.0001/60 so that it is exact, rounded half up by integer "
    "division. *same results*: every one of the million costs compared."
)


def numpy_costs(billsec: np.ndarray, rates: Rates) -> np.ndarray:
    """Costs in units of 0.0001 (int64), exactly DESIGN.md section 6."""
    connection = int(rates.connection_cost * 10_000)
    per_min = int(rates.cost_per_min * 10_000)
    past_grace = billsec - rates.grace_time
    after_initial = past_grace - rates.initial_increment
    blocks = np.where(after_initial > 0, -(-after_initial // rates.increment), 0)
    billed = np.where(past_grace > 0, rates.initial_increment + blocks * rates.increment, 0)
    sixtieths = connection * 60 + per_min * billed  # the cost × 60, in 0.0001
    return np.where(billsec >= 1, (sixtieths + 30) // 60, 0)


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    rng = random.Random(7)
    durations = [rng.randint(0, 3600) for _ in range(n.calls)]
    array = np.array(durations, dtype=np.int64)
    numpy_costs(array[:1000], RATES[0][1])  # warm up NumPy before timing
    rows = []
    for label, rates in RATES:
        start = time.perf_counter()
        ours = [call_cost(s, rates) for s in durations]
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        vectorised = numpy_costs(array, rates)
        numpy_s = time.perf_counter() - start
        same = all(int(cost * 10_000) == int(units) for cost, units in zip(ours, vectorised.tolist()))
        rows.append({
            "rates": label, "calls": f"{n.calls:,}",
            "call_cost s": f"{ours_s:.2f}", "call_cost calls/s": f"{n.calls / ours_s:,.0f}",
            "NumPy s": f"{numpy_s:.3f}", "NumPy calls/s": f"{n.calls / numpy_s:,.0f}",
            "call_cost/NumPy": f"{ours_s / numpy_s:.0f}x", "same results": "yes" if same else "NO",
        })
    return rows
