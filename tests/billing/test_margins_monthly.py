"""Issue 17: margins per month, normalised, with setup fees counted apart.

A period of 28, 30 or 31 days is converted to a month of 30.44 days (price * 30.44 /
Billing Days, 4 places half up) before anything is added; setup fees, paid once at
purchase, have their own sums and never enter the monthly margin.
"""

import itertools
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.prices.margins import (
    MONTH_DAYS, account_margin_rows, account_margin_totals, operator_margin, per_month, reseller_margin_summary,
)
from billing.subscriptions.purchase import purchase_did
from dids.models import DID
from tests.factories import DIDFactory, make_account_user

D = Decimal
_keys = itertools.count()


def buy(user, did, sell_setup_fee=None, sell_price=None):
    return purchase_did(buyer_id=user.account_id, did_id=did.pk, purchase_key=f"monthly-{next(_keys)}",
                        sell_setup_fee=None if sell_setup_fee is None else D(sell_setup_fee),
                        sell_price=None if sell_price is None else D(sell_price)).subscription


def funded(name, kind=Account.Kind.RESELLER, parent=None):
    user = make_account_user(kind=kind, parent=parent, name=name)
    add_funds(account_id=user.account_id, amount=D("1000"))
    return user


@pytest.fixture
def one_a_day(db):
    """Reseller R holds three DIDs at 1.0000 a day, billed every 28, 30 and 31 days."""
    r = funded("Daily Reseller")
    for days in (28, 30, 31):
        buy(r, DIDFactory(setup_fee="0", monthly_fee=str(days), buy_cost=str(days), billing_days=days))
    return r


def test_the_month_is_an_average_month():
    assert MONTH_DAYS == D("30.44")  # 365.25 / 12 = 30.4375, to two places
    assert per_month(D("20.0000"), 28) == D("21.7429")
    assert per_month(D("30.0000"), 30) == D("30.4400") == per_month(D("31.0000"), 31)
    assert per_month(D("0.0350"), 28) == D("0.0381")  # 0.03805: half up, as core/money.py rounds


def test_periods_of_28_30_and_31_days_become_the_same_month(one_a_day):
    rows = list(account_margin_rows(one_a_day.account))
    assert sorted(r.billing_days for r in rows) == [28, 30, 31]
    assert [r.pays for r in rows] == [D("30.4400")] * 3  # 28/28, 30/30 and 31/31 days of 1.0000 a day
    totals = account_margin_totals(one_a_day.account)
    assert totals.pays == D("91.3200")  # not 89.0000, the sum of three different periods
    operator = operator_margin()
    assert (operator.earns, operator.pays, operator.margin) == (D("91.3200"), D("91.3200"), D("0.0000"))


def test_rounding_is_per_subscription_half_up_and_the_total_is_the_sum_of_the_rows(db):
    r = funded("Tiny Reseller")
    for _ in range(3):
        buy(r, DIDFactory(setup_fee="0", monthly_fee="0.0350", billing_days=28))
    assert [row.pays for row in account_margin_rows(r.account)] == [D("0.0381")] * 3
    assert account_margin_totals(r.account).pays == D("0.1143")  # 3 x 0.0381, the rows as shown


@pytest.fixture
def with_setup(db):
    """R buys a DID at 5 setup + 20 every 28 days and sells it to C at 8 setup + 25."""
    r = funded("Setup Reseller")
    c = funded("Setup Customer", kind=Account.Kind.CUSTOMER, parent=r.account)
    did = DIDFactory(number="+12025551201", buy_cost="2", setup_fee="5", monthly_fee="20", billing_days=28)
    buy(r, did, sell_setup_fee="8", sell_price="25")
    buy(c, did)
    return dict(r=r, c=c, did=did)


def test_setup_fees_are_counted_apart_from_the_monthly_margin(with_setup):
    r, c = with_setup["r"].account, with_setup["c"].account
    [row] = account_margin_rows(r)
    assert (row.pays, row.earns, row.margin) == (D("21.7429"), D("27.1786"), D("5.4357"))
    assert (row.setup_paid, row.setup_earned) == (D("5.0000"), D("8.0000"))
    totals = account_margin_totals(r)
    assert (totals.pays, totals.earns, totals.margin) == (D("21.7429"), D("27.1786"), D("5.4357"))
    assert (totals.setup_paid, totals.setup_earned, totals.setup_margin) == (D("5.0000"), D("8.0000"), D("3.0000"))
    c_totals = account_margin_totals(c)
    assert (c_totals.setup_paid, c_totals.setup_earned) == (D("8.0000"), D("0.0000"))
    operator = operator_margin()
    # The operator: 20.0000 and the provider's 2.0000 every 28 days, and R's setup fee once.
    assert (operator.earns, operator.pays, operator.margin, operator.setup_earned) == (
        D("21.7429"), D("2.1743"), D("19.5686"), D("5.0000"))


def test_the_summary_counts_setup_fees_like_the_account_page(with_setup):
    summary = {a.pk: a for a in reseller_margin_summary()}
    for key in ("r", "c"):
        account = with_setup[key].account
        totals, row = account_margin_totals(account), summary[account.pk]
        assert (row.pays, row.earns, row.margin, row.setup_paid, row.setup_earned) == (
            totals.pays, totals.earns, totals.margin, totals.setup_paid, totals.setup_earned)


def test_a_one_time_did_is_normalised_the_same_way(db):
    r = funded("Once Reseller")
    buy(r, DIDFactory(setup_fee="1", monthly_fee="31", billing_days=31, billing_type=DID.BillingType.ONE_TIME))
    totals = account_margin_totals(r.account)
    assert (totals.pays, totals.setup_paid) == (D("30.4400"), D("1.0000"))


def test_the_pages_say_how_a_month_is_counted_and_show_the_setup_fees(admin_client, with_setup):
    r = with_setup["r"]
    html = admin_client.get(reverse("billing:account_margins", args=[r.account_id])).content.decode()
    assert "price × 30.44 ÷ Billing Days" in html and "28, 30 or 31 days" in html
    assert "Setup fees are paid once" in html
    assert '<td class="money" data-testid="total-setup-paid">5.0000</td>' in html
    assert '<td class="money" data-testid="total-setup-earned">8.0000</td>' in html
    assert "per period" not in html
    summary = admin_client.get(reverse("billing:margins")).content.decode()
    assert "price × 30.44 ÷ Billing Days" in summary and "Setup fees earned (once)" in summary
    assert '<td class="money" data-testid="operator-setup-earned">5.0000</td>' in summary
    customer = admin_client.get(reverse("billing:account_margins", args=[with_setup["c"].account_id])).content
    assert b"Setup fees earned" not in customer and b'data-testid="total-setup-paid">8.0000<' in customer


def test_the_resellers_own_page_shows_its_monthly_figures(client, with_setup):
    client.force_login(with_setup["r"])
    response = client.get(reverse("billing:my_margins"))
    assert response.context["totals"].margin == D("5.4357")
    html = response.content.decode()
    assert "30.44-day month" in html and "27.1786" in html and "8.0000" in html
