"""Rating of inbound calls (DESIGN.md section 6): the worked example, edge values,
and properties over any rates (Hypothesis)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dids.rating import Rates, call_cost

D = Decimal
EXAMPLE = Rates(connection_cost=D("0.05"), grace_time=10, cost_per_min=D("0.60"), initial_increment=30, increment=6)


@pytest.mark.parametrize("billsec,cost", [(47, "0.4700"), (15, "0.3500"), (8, "0.0500"), (0, "0")])
def test_the_worked_example_of_design_md(billsec, cost):
    assert call_cost(billsec, EXAMPLE) == D(cost)


@pytest.mark.parametrize("rates,billsec,cost", [
    # Initial Increment 0: straight to increments (61 s at 60 s blocks = 2 minutes)
    (Rates(D("0"), 0, D("1.20"), 0, 60), 61, "2.4000"),
    (Rates(D("0"), 0, D("1.20"), 0, 60), 60, "1.2000"),
    # Increment 1: per second after the initial block
    (Rates(D("0"), 0, D("0.60"), 30, 1), 31, "0.3100"),
    # Increment 60: whole minutes
    (Rates(D("0.10"), 0, D("0.60"), 60, 60), 121, "1.9000"),
    # Grace longer than the call: only the connection cost
    (Rates(D("0.10"), 300, D("9.99"), 60, 60), 299, "0.1000"),
    (Rates(D("0.10"), 300, D("9.99"), 60, 60), 300, "0.1000"),
    (Rates(D("0.10"), 300, D("9.99"), 60, 60), 301, "10.0900"),
    # Rounded half up, once: 1 s at 0.0001/min per 1 s block is 0.0000016…
    (Rates(D("0"), 0, D("0.0001"), 1, 1), 1, "0.0000"),
    (Rates(D("0"), 0, D("0.0030"), 1, 1), 1, "0.0001"),  # 0.00005 → 0.0001
    # negative or unanswered durations cost nothing, even with a connection cost
    (Rates(D("0.50"), 0, D("1"), 60, 60), -3, "0"),
])
def test_edge_values(rates, billsec, cost):
    assert call_cost(billsec, rates) == D(cost)


def test_rates_that_cannot_price_a_call_are_refused():
    with pytest.raises(ValueError, match="Increment"):
        Rates(D("0"), 0, D("1"), 60, 0)
    with pytest.raises(ValueError, match="negative"):
        Rates(D("-0.01"), 0, D("1"), 60, 60)


money = st.decimals(min_value=0, max_value=100, places=4)
rates = st.builds(Rates, connection_cost=money, grace_time=st.integers(0, 600), cost_per_min=money,
                  initial_increment=st.integers(0, 600), increment=st.integers(1, 600))
seconds = st.integers(1, 20_000)


@settings(max_examples=300)
@given(rates, seconds, seconds)
def test_cost_never_falls_as_the_call_gets_longer_and_is_never_negative(rates, a, b):
    short, long = sorted((a, b))
    assert D(0) <= call_cost(short, rates) <= call_cost(long, rates)


@settings(max_examples=300)
@given(rates, st.integers(1, 600))
def test_cost_is_the_connection_cost_inside_the_grace_time(rates, billsec):
    if billsec <= rates.grace_time:
        assert call_cost(billsec, rates) == rates.connection_cost.quantize(D("0.0001"))


@settings(max_examples=300)
@given(rates, st.integers(2, 20_000))
def test_the_price_steps_only_where_a_block_starts(rates, billsec):
    """From one answered second to the next the cost changes only when that second opens
    a block: the first second after the grace time (the initial block), or the first
    second of a new increment after the initial block (so a block is charged at its
    start, never at its end)."""
    past_grace = billsec - 1 - rates.grace_time  # seconds past the grace time before this one
    into_increments = past_grace - rates.initial_increment
    opens_a_block = past_grace == 0 or (into_increments >= 0 and into_increments % rates.increment == 0)
    if not opens_a_block:
        assert call_cost(billsec, rates) == call_cost(billsec - 1, rates)


@settings(max_examples=300)
@given(rates, st.integers(0, 50))
def test_each_whole_block_adds_exactly_its_price(rates, blocks):
    """A call that ends exactly on a block boundary costs connection + initial block + n blocks."""
    billsec = rates.grace_time + rates.initial_increment + blocks * rates.increment
    if billsec < 1 or billsec <= rates.grace_time:
        return
    exact = rates.connection_cost + rates.cost_per_min * (rates.initial_increment + blocks * rates.increment) / 60
    assert call_cost(billsec, rates) == exact.quantize(D("0.0001"), rounding="ROUND_HALF_UP")
