"""The price rule as one pure function (billing/prices/resolve.py): override, else the
seller's default sell cost, else the product; values in, a Price out, no database."""

from decimal import Decimal
from types import SimpleNamespace

from moneyed import Money

from billing.prices.resolve import resolve

D = Decimal
PRODUCT = SimpleNamespace(setup_fee=Money("1.00005", "USD"), monthly_fee=Money("5", "USD"), billing_type="recurring",
                          billing_days=28)
HOLDING = SimpleNamespace(sell_setup_fee=Money("2", "USD"), sell_price=Money("7.5", "USD"))
OVERRIDE = SimpleNamespace(setup_fee=Money("0", "USD"), price=Money("6.25", "USD"))


def test_the_operator_sells_at_the_products_price():
    price = resolve(PRODUCT)
    assert (price.setup_fee, price.price, price.billing_type, price.billing_days) == (D("1.0001"), D("5.0000"),
                                                                                       "recurring", 28)
    assert price.total_now == D("6.0001")


def test_a_reseller_sells_at_its_sell_cost():
    assert (resolve(PRODUCT, HOLDING).setup_fee, resolve(PRODUCT, HOLDING).price) == (D("2.0000"), D("7.5000"))


def test_an_override_wins_over_both():
    for holding in (None, HOLDING):
        price = resolve(PRODUCT, holding, OVERRIDE)
        assert (price.setup_fee, price.price) == (D("0.0000"), D("6.2500"))
    assert resolve(PRODUCT, HOLDING, OVERRIDE).billing_days == 28  # the product's terms always
