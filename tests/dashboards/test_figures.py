"""Every figure of the three dashboards on the hand-built world of conftest.py, as the services
compute them (billing/dashboards.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from billing import dashboards
from billing.ledger.funds import add_funds

D = Decimal


def fresh(user) -> Account:
    """The account as a request would read it (the fixture's copy predates its purchases)."""
    return Account.objects.get(pk=user.account_id)


def renewal_time(dash):
    """A clock 25 days on: the 28- and 30-day periods bought today renew within 7 days."""
    return dash.now + timedelta(days=25)


def next_month(now):
    start = dashboards.month_starts(now, 1)[0]
    return (start + timedelta(days=32)).replace(day=2)


def test_admin_did_counts_calls_and_low_balance(dash):
    board = dashboards.admin_dashboard()
    assert (board.dids_free.text, board.dids_sold.text, board.dids_inactive.text) == ("2", "4", "1")
    assert not (board.dids_free.estimated or board.dids_sold.estimated)
    assert board.dids_suspended == 1  # d7: renewal failed, in grace
    assert board.calls_today.text == "1"  # yesterday's call is not counted
    assert board.low_balance_count == 1
    assert [a.name for a in board.low_balance] == ["R2 Other"]


def test_admin_revenue_and_margin_this_month_and_last(dash):
    board = dashboards.admin_dashboard()
    # R1: setup 5 + 20.5 + 10 + a call 0.5; R2: 10 + 10. Sales between accounts are no revenue of the operator.
    assert board.this_month.revenue == D("56.0000")
    assert board.this_month.cost == D("4.2500")  # Buy Cost of the four periods: 1.25 + 2 + 0.5 + 0.5
    assert board.this_month.margin == D("51.7500")
    assert (board.last_month.revenue, board.last_month.margin) == (D("0.0000"), D("0.0000"))
    assert len(board.months) == dashboards.MONTHS and board.months[-1].start <= timezone.now()

    later = dashboards.admin_dashboard(now=next_month(dash.now))
    assert (later.last_month.revenue, later.last_month.cost, later.last_month.margin) == (
        D("56.0000"), D("4.2500"), D("51.7500"))
    assert later.this_month.revenue == D("0.0000")


def test_admin_dids_sold_per_day(dash):
    days = dashboards.admin_dashboard().sold_per_day
    assert len(days) == dashboards.SOLD_DAYS
    assert days[-1] == (timezone.localdate(), 4)  # bought from the operator today; C's purchase is R1's sale
    assert sum(n for _, n in days) == 4
    assert days[0][0] == timezone.localdate() - timedelta(days=dashboards.SOLD_DAYS - 1)


def test_admin_renewals_due_and_short_of_funds(dash):
    assert dashboards.admin_dashboard().renewals.due == 0  # nothing within 7 days yet
    renewals = dashboards.admin_dashboard(now=renewal_time(dash)).renewals
    # R1's d1 and d2, C's d1, R2's d3; R2's d7 is in grace (the billing run's, not a renewal).
    assert renewals.due == 4
    assert renewals.short == 1  # R2's d3: 10.0000 due, 5.0000 available
    assert [(s.account.name, s.did.number) for s in renewals.next] == [("R2 Other", "+12025550103")]


def test_reseller_figures(dash):
    board = dashboards.reseller_dashboard(fresh(dash.r1))
    assert (board.numbers, board.sold_on, board.suspended) == (2, 1, 0)
    assert (board.customers, board.sub_resellers) == (1, 0)
    assert board.account.balance.amount == D("995.7500")  # 1000 - 25.5 - 10 + 31.75 - 0.5
    assert board.available == D("995.7500")
    month = board.this_month
    assert (month.revenue, month.cost, month.margin) == (D("31.7500"), D("36.0000"), D("-4.2500"))
    assert len(board.months) == dashboards.MONTHS

    due = dashboards.reseller_dashboard(fresh(dash.r1), now=renewal_time(dash)).renewals
    assert (due.due, due.short) == (2, 0)
    assert [s.did.number for s in due.next] == ["+12025550101", "+12025550102"]  # 28 days before 30


def test_reseller_figures_are_its_own_only(dash):
    board = dashboards.reseller_dashboard(fresh(dash.r2), now=renewal_time(dash))
    assert (board.numbers, board.sold_on, board.suspended, board.customers) == (2, 0, 1, 0)
    assert (board.renewals.due, board.renewals.short) == (1, 1)
    assert [s.did.number for s in board.renewals.next] == ["+12025550103"]
    assert board.this_month.revenue == D("0.0000") and board.this_month.cost == D("20.0000")


def test_customer_figures(dash):
    board = dashboards.customer_dashboard(fresh(dash.c))
    assert board.account.balance.amount == D("68.2500")  # 100 - 5 - 26.75
    assert (board.numbers, board.suspended) == (1, 0)
    assert (board.calls_today.text, board.calls_month.text) == ("1", "1")  # its own charges: R1's is not counted
    due = dashboards.customer_dashboard(fresh(dash.c), now=renewal_time(dash)).renewals
    assert (due.due, due.short, [s.did.number for s in due.next]) == (1, 0, ["+12025550101"])


@pytest.mark.django_db
def test_an_empty_portal_has_zero_everywhere():
    board = dashboards.admin_dashboard()
    assert (board.dids_free.text, board.dids_sold.text, board.calls_today.text) == ("0", "0", "0")
    assert board.this_month.revenue == D("0.0000") and board.renewals.due == 0
    assert sum(n for _, n in board.sold_per_day) == 0


def test_month_starts_cross_the_year():
    now = timezone.make_aware(timezone.datetime(2027, 2, 10, 12, 0))
    starts = dashboards.month_starts(now, 3)
    assert [(s.year, s.month, s.day, s.hour) for s in starts] == [(2026, 12, 1, 0), (2027, 1, 1, 0), (2027, 2, 1, 0)]


def test_ended_months_are_summed_once_then_only_the_current_month(dash):
    account = fresh(dash.r1)
    first = dashboards.account_months(account, timezone.now())
    sealed = dashboards.month_starts(timezone.now(), 1)[0]
    add_funds(account_id=account.pk, amount=D("1"))  # not a sale: no change to the figures
    with CaptureQueriesContext(connection) as captured:
        again = dashboards.account_months(account, timezone.now())
    assert again == first and len(captured) == 1
    # The ended months come from the cache: the one query starts at the current month.
    assert sealed.astimezone(timezone.get_default_timezone()).strftime("%Y-%m-01") in captured[0]["sql"]
    assert again[-1].revenue == D("31.7500")
