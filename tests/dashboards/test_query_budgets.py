"""Each dashboard costs a fixed number of queries whatever the data: measured on the small world,
then again after adding more of everything (DIDs, holdings, accounts below their alert, calls,
renewals due): the same count. Above the exact-count limit a DID or call count becomes the
planner's estimate: one EXPLAIN per such figure, nothing read (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from calls.models import Call, CallCharge, CallImport
from tests.dashboards.conftest import buy, did, funded
from tests.factories import make_admin

# Session and user with its account (2), then the figures: admin: the capped counts (1), DIDs in
# grace (1), months (1), sold per day (1), renewals (2), low-balance count and rows (2); reseller:
# holdings (1), sold on (1), accounts below (1), renewals (2), months (1); customer: the capped
# counts of its calls (1), holdings (1), renewals (2). An account's header also counts its unread notices (1).
BUDGET = {"admin": 10, "reseller": 9, "customer": 7}


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


def grow(dash):
    """More of everything the dashboards count, for each of the three."""
    more = funded("R3 More", "500", low_balance_threshold=1000)
    sub = funded("S Sub", "200", parent=dash.r1.account)
    cust = funded("C2 Customer", "100", kind=Account.Kind.CUSTOMER, parent=dash.r1.account)
    for i in range(6):
        buy(more, did(f"+1303555010{i}"))
    for i in range(3):
        number = did(f"+1404555010{i}")
        buy(dash.r1, number, sell_price="12.0000")
        buy(cust if i % 2 else sub, number)
        number = did(f"+1505555010{i}")
        buy(dash.r1, number, sell_price="12.0000")
        buy(dash.c, number)
    batch = CallImport.objects.create(source=CallImport.Source.COMMAND)
    for i in range(5):
        call = Call.objects.create(call_id=f"more-{i}", did=dash.d1, started_at=timezone.now() - timedelta(seconds=i),
                                   billsec=20, import_batch=batch)
        CallCharge.objects.create(call=call, account=dash.c.account, seller=dash.r1.account, level=2, amount=1,
                                  started_at=call.started_at)


@pytest.mark.parametrize("role", ["admin", "reseller", "customer"])
def test_a_dashboard_costs_the_same_queries_whatever_the_data(client, dash, role):
    client.force_login({"admin": make_admin(), "reseller": dash.r1, "customer": dash.c}[role])
    small = queries(client)
    grow(dash)
    assert (small, queries(client)) == (BUDGET[role], BUDGET[role])


@pytest.mark.postgres
def test_counts_above_the_limit_are_estimates_at_one_explain_each(client, dash, settings):
    client.force_login(make_admin())
    settings.LIST_EXACT_COUNT_LIMIT = 3  # free 2, sold 4, inactive 1, calls today 1: only "sold" is above
    assert queries(client) == BUDGET["admin"] + 1
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="value-dids-sold">about ' in html
    assert 'data-testid="value-dids-free">2<' in html
