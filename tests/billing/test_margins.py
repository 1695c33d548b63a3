"""Margins: what each holder pays and earns per month, per DID and per account.

The chain: operator -> reseller R1 -> sub-reseller S -> customer C on one DID,
plus a DID R1 holds and has not sold on (a cost without earnings).
Issue 17: every figure is per month, price * 30.44 / Billing Days (28 days: 20.5000 -> 22.2864;
30 days: 10.0000 -> 10.1467); tests/billing/test_margins_monthly.py has the rule and the setup fees.
"""

import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.prices.margins import account_margin_rows, account_margin_totals, operator_margin, reseller_margin_summary
from billing.subscriptions.purchase import purchase_did
from tests.factories import DIDFactory, make_account_user

D = Decimal
_keys = itertools.count()


def buy(user, did, sell_price=None):
    return purchase_did(buyer_id=user.account_id, did_id=did.pk, purchase_key=f"margins-{next(_keys)}",
                        sell_price=None if sell_price is None else D(sell_price)).subscription


def funded(name, kind=Account.Kind.RESELLER, parent=None, amount="1000"):
    user = make_account_user(kind=kind, parent=parent, name=name)
    add_funds(account_id=user.account_id, amount=D(amount))
    return user


@pytest.fixture
def chain(db):
    r1 = funded("R1 Telecom")
    s = funded("S Sub", parent=r1.account)
    c = funded("C Customer", kind=Account.Kind.CUSTOMER, parent=s.account)
    sold = DIDFactory(number="+12025551001", buy_cost="1.2500", monthly_fee="20.5000", billing_days=28)
    unsold = DIDFactory(number="+12025551002", buy_cost="2.0000", monthly_fee="10.0000", billing_days=30)
    buy(r1, sold, sell_price="26.7500")   # R1 pays the operator 20.5000, sells at 26.7500
    buy(s, sold, sell_price="31.1234")    # S pays 26.7500, sells at 31.1234
    buy(c, sold)                          # C pays 31.1234
    buy(r1, unsold)                       # R1 pays 10.0000 (30 days), not sold on
    return dict(r1=r1, s=s, c=c, sold=sold, unsold=unsold)


def rows_by_did(rows):
    return {r.did.digits: r for r in rows}


# --- figures ------------------------------------------------------------------

def test_r1_rows_and_totals(admin_client, chain):
    r1 = chain["r1"].account
    response = admin_client.get(reverse("billing:account_margins", args=[r1.pk]))
    assert response.status_code == 200
    rows = rows_by_did(response.context["page"].rows)
    sold, unsold = rows["12025551001"], rows["12025551002"]
    assert (sold.pays, sold.earns, sold.margin, sold.billing_days) == (D("22.2864"), D("29.0811"), D("6.7947"), 28)
    assert sold.sold_to == chain["s"].account
    assert (unsold.pays, unsold.earns, unsold.margin, unsold.sold_to, unsold.billing_days) == (
        D("10.1467"), None, None, None, 30)
    totals = response.context["totals"]
    # Unsold DIDs count as cost: 29.0811 - (22.2864 + 10.1467), per month.
    assert (totals.held, totals.sold, totals.pays, totals.earns, totals.margin, totals.unsold_pays) == (
        2, 1, D("32.4331"), D("29.0811"), D("-3.3520"), D("10.1467"))
    html = response.content.decode()
    assert "6.7947" in html and "-3.3520" in html and "not sold" in html
    assert '<td class="money text-danger" data-testid="total-margin">-3.3520</td>' in html
    assert "a DID not sold on counts as a cost" in html and "30.44-day month" in html
    assert reverse("billing:holder_edit_info", args=[chain["sold"].pk, r1.pk]) in html
    assert reverse("billing:account_margins", args=[chain["s"].account_id]) in html


def test_sub_reseller_and_customer_rows(admin_client, chain):
    s_rows = list(account_margin_rows(chain["s"].account))
    assert [(r.pays, r.earns, r.margin, r.sold_to_id) for r in s_rows] == [
        (D("29.0811"), D("33.8356"), D("4.7545"), chain["c"].account_id)]
    c_totals = account_margin_totals(chain["c"].account)
    assert (c_totals.pays, c_totals.earns, c_totals.margin) == (D("33.8356"), D("0.0000"), D("-33.8356"))


def test_reseller_sees_its_own_margins(client, chain):
    client.force_login(chain["s"])
    response = client.get(reverse("billing:my_margins"))
    assert response.status_code == 200
    assert response.context["account"] == chain["s"].account
    totals = response.context["totals"]
    assert (totals.pays, totals.earns, totals.margin) == (D("29.0811"), D("33.8356"), D("4.7545"))
    html = response.content.decode()
    assert "+1 202-555-1001" in html and "C Customer" in html and "4.7545" in html
    assert "+1 202-555-1002" not in html and "12025551002" not in html  # R1's unsold DID is not S's business
    assert reverse("billing:my_edit_info", args=[chain["sold"].pk]) in html
    assert 'href="/portal/margins/">Margins</a>' in html  # the reseller's nav


def test_admin_summary_rows_and_operator_row(admin_client, chain):
    response = admin_client.get(reverse("billing:margins"))
    assert response.status_code == 200
    rows = {a.name: a for a in response.context["page"].rows}
    assert set(rows) == {"R1 Telecom", "S Sub", "C Customer"}
    figures = {name: (a.held, a.sold, a.pays, a.earns, a.margin) for name, a in rows.items()}
    assert figures == {
        "R1 Telecom": (2, 1, D("32.4331"), D("29.0811"), D("-3.3520")),
        "S Sub": (1, 1, D("29.0811"), D("33.8356"), D("4.7545")),
        "C Customer": (1, 0, D("33.8356"), D("0.0000"), D("-33.8356")),
    }
    operator = response.context["operator"]
    # Both DIDs went to R1 at 20.5000 (28 days) and 10.0000 (30 days); the provider costs are 1.2500
    # and 2.0000 per period: 22.2864 + 10.1467 earned, 1.3589 + 2.0293 paid per month.
    assert (operator.sold, operator.earns, operator.pays, operator.margin) == (
        2, D("32.4331"), D("3.3882"), D("29.0449"))
    html = response.content.decode()
    for text in ("29.0449", "-3.3520", "4.7545", "Pays providers per month (provider cost)", "30.44-day month"):
        assert text in html, text
    assert "-33.8356" not in html  # a customer does not resell: no margin is shown for it
    assert reverse("billing:account_margins", args=[chain["r1"].account_id]) in html
    assert '<a class="nav-link active" href="/margins/">Margins</a>' in html


def test_customer_page_shows_what_it_pays_and_no_margin(admin_client, chain):
    response = admin_client.get(reverse("billing:account_margins", args=[chain["c"].account_id]))
    assert response.context["totals"].pays == D("33.8356")
    html = response.content.decode()
    assert '<td class="money" data-testid="total-pays">33.8356</td>' in html
    assert "A customer does not resell" in html
    assert "Margin per month" not in html and "Margin / month" not in html and "not sold" not in html


def test_summary_sorts_customers_at_the_low_end_of_margin(admin_client, chain):
    url = reverse("billing:margins")
    ascending = [a.name for a in admin_client.get(url, {"sort": "margin"}).context["page"].rows]
    descending = [a.name for a in admin_client.get(url, {"sort": "-margin"}).context["page"].rows]
    assert ascending == ["C Customer", "R1 Telecom", "S Sub"]
    assert descending == ["S Sub", "R1 Telecom", "C Customer"]


def test_summary_only_lists_holders_and_the_summary_equals_the_totals(chain):
    funded("Holds nothing")
    summary = {a.pk: a for a in reseller_margin_summary()}
    assert len(summary) == 3
    for key in ("r1", "s", "c"):
        account = chain[key].account
        totals = account_margin_totals(account)
        row = summary[account.pk]
        assert (row.held, row.sold, row.pays, row.earns, row.margin) == (
            totals.held, totals.sold, totals.pays, totals.earns, totals.margin)


def test_sold_below_cost_is_a_negative_margin_in_red(admin_client, db):
    r = funded("Cheap Reseller")
    c = funded("Cheap Customer", kind=Account.Kind.CUSTOMER, parent=r.account)
    did = DIDFactory(number="+12025551003", monthly_fee="20.0000")
    buy(r, did, sell_price="5.0000")
    buy(c, did)
    response = admin_client.get(reverse("billing:account_margins", args=[r.account_id]))
    row = response.context["page"].rows[0]
    # 28-day periods: 20.0000 and 5.0000 are 21.7429 and 5.4357 a month.
    assert (row.pays, row.earns, row.margin) == (D("21.7429"), D("5.4357"), D("-16.3072"))
    assert '<td class="money text-danger">-16.3072</td>' in response.content.decode()


def test_ended_subscriptions_do_not_count(admin_client, chain):
    from billing.models import Subscription

    # C's subscription ends: S no longer earns on it, C no longer holds anything.
    Subscription.objects.filter(account=chain["c"].account).update(status=Subscription.Status.ENDED)
    s_row = list(account_margin_rows(chain["s"].account))[0]
    assert (s_row.earns, s_row.margin, s_row.sold_to_id) == (None, None, None)
    assert chain["c"].account_id not in {a.pk for a in reseller_margin_summary()}
    assert operator_margin().sold == 2


def test_sorting_by_margin_puts_unsold_rows_at_one_end(admin_client, chain):
    url = reverse("billing:account_margins", args=[chain["r1"].account_id])
    ascending = [r.did.digits for r in admin_client.get(url, {"sort": "margin"}).context["page"].rows]
    descending = [r.did.digits for r in admin_client.get(url, {"sort": "-margin"}).context["page"].rows]
    assert ascending == ["12025551002", "12025551001"]
    assert descending == ["12025551001", "12025551002"]
    by_pays = admin_client.get(url, {"sort": "-pays"}).context["page"].rows
    assert [r.pays for r in by_pays] == [D("22.2864"), D("10.1467")]
    fallback = admin_client.get(url, {"sort": "price; DROP TABLE x"}).context["page"]
    assert fallback.sort == "number"


def test_empty_pages_say_no_records(client, admin_user, reseller_user):
    client.force_login(admin_user)
    assert "No Records" in client.get(reverse("billing:margins")).content.decode()
    client.force_login(reseller_user)
    html = client.get(reverse("billing:my_margins")).content.decode()
    assert "No Records" in html
    assert '<td class="money" data-testid="total-margin">0.0000</td>' in html


# --- who may see what -----------------------------------------------------------

@pytest.mark.parametrize("name,args", [("margins", []), ("account_margins", [1]), ("my_margins", [])])
def test_anonymous_goes_to_login(client, db, name, args):
    response = client.get(reverse(f"billing:{name}", args=args))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_customer_gets_403_and_no_margins_link(customer_client):
    assert customer_client.get(reverse("billing:my_margins")).status_code == 403
    html = customer_client.get(reverse("billing:statement")).content.decode()
    assert "/portal/margins/" not in html


def test_reseller_gets_403_on_admin_pages(reseller_client, reseller_user):
    assert reseller_client.get(reverse("billing:margins")).status_code == 403
    assert reseller_client.get(reverse("billing:account_margins", args=[reseller_user.account_id])).status_code == 403


def test_admin_gets_404_for_an_unknown_account(admin_client, db):
    assert admin_client.get(reverse("billing:account_margins", args=[999999])).status_code == 404


def test_reseller_b_never_sees_a(client, chain):
    b = funded("B Reseller")
    buy(b, DIDFactory(number="+12025551009", monthly_fee="7.0000"))
    client.force_login(b)
    response = client.get(reverse("billing:my_margins"), {"account": chain["r1"].account_id, "pk": chain["r1"].account_id})
    assert [r.did.digits for r in response.context["page"].rows] == ["12025551009"]
    assert response.context["totals"].pays == D("7.6100")  # 7.0000 every 28 days
    html = response.content.decode()
    for other in ("12025551001", "12025551002", "R1 Telecom", "S Sub", "26.7500"):
        assert other not in html, other


# --- query budget -------------------------------------------------------------

def _reseller_with(n: int, name: str):
    """A reseller holding n DIDs, every other one sold on to its own customer."""
    r = funded(name, amount="100000")
    c = funded(f"{name} customer", kind=Account.Kind.CUSTOMER, parent=r.account, amount="100000")
    for i in range(n):
        did = DIDFactory(monthly_fee="3.0000")
        buy(r, did, sell_price="4.0000")
        if i % 2 == 0:
            buy(c, did)
    return r, c


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_rows(client, admin_user, db):
    small, _ = _reseller_with(3, "Small")
    big, _ = _reseller_with(30, "Big")
    client.force_login(admin_user)
    small_url = reverse("billing:account_margins", args=[small.account_id])
    big_url = reverse("billing:account_margins", args=[big.account_id])
    # Session, user, account, count, page, buyers of the page, totals.
    assert _queries(client, small_url) == _queries(client, big_url) <= 7
    client.force_login(small)
    own_small = _queries(client, reverse("billing:my_margins"))
    client.force_login(big)
    # Session, user, count, page, buyers of the page, totals; + the header's unread notices count (notices/).
    assert own_small == _queries(client, reverse("billing:my_margins")) <= 7


def test_summary_query_count_does_not_grow_with_accounts(admin_client, db):
    _reseller_with(1, "First")
    url = reverse("billing:margins")
    few = _queries(admin_client, url)  # 2 accounts
    for i in range(15):
        _reseller_with(1, f"More {i}")
    assert _queries(admin_client, url) == few <= 5  # 32 accounts, a full page of 25
