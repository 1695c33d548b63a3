"""Export CSV on the panel's lists (issue 17): DIDs (a reseller's, a customer's, a reseller's
view of one of its accounts') and Buy DIDs. Each file is the page's list: its search, its sort,
every row (not one page), DIDs in E.164, plain money, another tenant's rows never; a fixed number
of queries whatever the number of rows; the page keeps its button."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from tests.csv_export_helpers import csv_queries, read_csv, shows_export_button
from tests.factories import DIDFactory, make_account_user
from tests.resellers.customers.conftest import url as customers_url

pytestmark = pytest.mark.django_db

MY_DIDS_HEADER = ["DID", "Country", "City", "Province", "Setup Fee (USD)", "Price (USD)", "Billing Type",
                  "Billing Days", "Paid until", "Suspended until"]


def _buy(account, did, **sell):
    add_funds(account_id=account.pk, amount=Decimal("1000"))
    purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=f"k-{did.pk}-{account.pk}", **sell)


@pytest.fixture
def other_reseller(db):
    return make_account_user(Account.Kind.RESELLER, name="Reseller B")


@pytest.fixture
def chains(reseller_user, customer_user, other_reseller):
    """Reseller A holds 855... numbers (the first sold on to Customer A at 7.5 a period);
    Reseller B holds a 212... number."""
    a = reseller_user.account
    dids = [DIDFactory(number=f"+1855580180{i}", city="Springfield", setup_fee="2.5", monthly_fee="10")
            for i in range(3)]
    for did in dids:
        _buy(a, did, sell_setup_fee=Decimal("1"), sell_price=Decimal("7.5"))
    _buy(customer_user.account, dids[0])
    foreign = DIDFactory(number="+12125550100", city="New York")
    _buy(other_reseller.account, foreign)
    return dids, foreign


def test_my_dids_csv_is_the_searched_sorted_list_in_e164(reseller_client, chains, customer_user):
    dids, foreign = chains
    rows = read_csv(reseller_client.get(reverse("resellers:dids") + "?format=csv&sort=-number"))
    assert rows[0] == MY_DIDS_HEADER + ["Sold to", "Sold to account number"]
    assert [r[0] for r in rows[1:]] == ["+18555801802", "+18555801801", "+18555801800"]  # E.164, the page's sort
    first = rows[3]
    assert first[1:8] == ["US", "Springfield", first[3], "2.5000", "10.0000", first[6], "28"]
    assert first[10:] == ["Customer A", customer_user.account.number]
    assert rows[1][10:] == ["", ""]  # not sold on
    assert foreign.number not in str(rows) and "Reseller B" not in str(rows)
    searched = read_csv(reseller_client.get(reverse("resellers:dids") + "?format=csv&number=5801801"))
    assert [r[0] for r in searched[1:]] == ["+18555801801"]


def test_a_customers_own_dids_csv(customer_client, chains):
    dids, _ = chains
    rows = read_csv(customer_client.get(reverse("resellers:dids") + "?format=csv"))
    assert [r[0] for r in rows[1:]] == [dids[0].number]
    assert rows[1][4:6] == ["1.0000", "7.5000"]  # what it pays its reseller


def test_every_row_not_one_page(reseller_client, reseller_user, default_provider):
    for n in range(30):
        _buy(reseller_user.account, DIDFactory(number=f"+1855580{n:04d}"))
    rows = read_csv(reseller_client.get(reverse("resellers:dids") + "?format=csv&per_page=10"))
    assert len(rows) == 31


def test_the_pages_keep_their_export_button(reseller_client, customer_user, chains):
    for path in (reverse("resellers:dids"), reverse("resellers:buy"), customers_url("dids", customer_user.account)):
        response = reseller_client.get(path)
        assert response.status_code == 200 and shows_export_button(response.content.decode()), path


def test_a_resellers_view_of_its_accounts_dids(reseller_client, reseller_user, customer_user, other_reseller, chains):
    dids, foreign = chains
    rows = read_csv(reseller_client.get(customers_url("dids", customer_user.account, format="csv")))
    assert rows[0] == MY_DIDS_HEADER  # a customer sells nothing on: no "Sold on"
    assert [r[0] for r in rows[1:]] == [dids[0].number] and rows[1][5] == "7.5000"
    sub = make_account_user(Account.Kind.RESELLER, parent=reseller_user.account, name="Sub A")
    _buy(sub.account, dids[1])
    rows = read_csv(reseller_client.get(customers_url("dids", sub.account, format="csv")))
    assert rows[0][-1] == "Sold on" and rows[1][0] == dids[1].number and rows[1][-1] == "No"
    # Another reseller's account: the same 404 as its page.
    other = make_account_user(Account.Kind.CUSTOMER, parent=other_reseller.account)
    assert reseller_client.get(customers_url("dids", other.account, format="csv")).status_code == 404


def test_buy_dids_csv_is_the_pool_at_the_buyers_prices(client, customer_user, chains, other_reseller):
    dids, foreign = chains
    client.force_login(customer_user)
    response = client.get(reverse("resellers:buy") + "?format=csv&sort=-price")
    rows = read_csv(response)
    assert rows[0] == ["DID", "Country", "City", "Province", "Setup Fee (USD)", "Price (USD)", "Billing Type",
                       "Billing Days"]
    # Reseller A's unsold numbers at its sell cost (the page's rule), not the operator's 10.0000;
    # the same price: by number, descending as the sort.
    assert [r[0] for r in rows[1:]] == [dids[2].number, dids[1].number]
    assert [r[4:6] for r in rows[1:]] == [["1.0000", "7.5000"]] * 2
    assert rows[1][1:3] == ["US", "Springfield"] and rows[1][7] == "28"
    assert foreign.number not in response_text(rows)
    page = client.get(reverse("resellers:buy") + "?sort=-price")
    assert [did.number for did in page.context["page"].rows] == [r[0] for r in rows[1:]]
    searched = read_csv(client.get(reverse("resellers:buy") + "?format=csv&number=5801802"))
    assert [r[0] for r in searched[1:]] == [dids[2].number]
    mistyped = read_csv(client.get(reverse("resellers:buy") + "?format=csv&min_price=abc"))
    assert mistyped[1:] == []  # as the page: a mistyped search finds nothing


def test_buy_dids_csv_of_a_reseller_is_the_operators_pool(reseller_client, chains):
    free = [DIDFactory(number="+18005550100", monthly_fee="3"), DIDFactory(number="+18005550101", monthly_fee="4")]
    rows = read_csv(reseller_client.get(reverse("resellers:buy") + "?format=csv"))
    assert [(r[0], r[5]) for r in rows[1:]] == [(free[0].number, "3.0000"), (free[1].number, "4.0000")]


def response_text(rows) -> str:
    return "\n".join(",".join(r) for r in rows)


@pytest.mark.parametrize("name", ["dids", "buy", "customer_dids"])
def test_the_csv_takes_a_fixed_number_of_queries(client, reseller_user, customer_user, default_provider, name):
    reseller = reseller_user.account

    def target():
        if name == "customer_dids":
            client.force_login(reseller_user)
            return customers_url("dids", customer_user.account, format="csv")
        client.force_login(customer_user if name == "buy" else reseller_user)
        return reverse(f"resellers:{name}") + "?format=csv"

    def add(n):
        for i in range(n):
            did = DIDFactory()
            _buy(reseller, did, sell_price=Decimal("3"))
            if name == "customer_dids":
                _buy(customer_user.account, did)

    add(1)
    few, rows = csv_queries(client, target())
    assert len(rows) == 2
    add(25)
    many, rows = csv_queries(client, target())
    assert len(rows) == 27 and few == many
