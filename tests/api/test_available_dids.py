"""GET /api/v1/available-dids/: the seller's pool at this account's prices, as Buy DIDs lists it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from accounts.services import account_set_status
from billing.ledger.funds import add_funds
from billing.prices.book import set_sell_cost
from billing.prices.lookups import price_for
from billing.subscriptions.holdings import seller_holding
from billing.subscriptions.purchase import purchase_did
from core.money import money
from dids.models import DID
from tests.factories import DIDFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/available-dids/"
D = Decimal


@pytest.fixture(autouse=True)
def _funds(people):
    """Enough for the other reseller and the reseller to hold a few DIDs."""
    for role in ("other", "reseller"):
        add_funds(account_id=people[role].account_id, amount=D("1000"), description="more test funds")


def did(number, **fields):
    return DIDFactory(number=number, **{"setup_fee": money(D("5")), "monthly_fee": money(D("20")), **fields})


def numbers(response):
    return [row["number"] for row in response.json()["results"]]


def every_page(api, params=None):
    """Every row, following ``next`` to the end."""
    rows, response = [], api.get(URL, params or {})
    while True:
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        if not response.json()["next"]:
            return rows
        response = api.get(response.json()["next"])


def test_a_reseller_sees_the_operators_pool_at_its_prices(people, api_as):
    did("+18555801802", city="Tulsa", province="OK", setup_fee=money(D("1.5")), monthly_fee=money(D("2.25")))
    did("+18555801801")
    held = did("+18555801803")
    purchase_did(buyer_id=people["other"].account_id, did_id=held.pk, purchase_key="held-by-other")
    did("+18555801804", status=DID.Status.INACTIVE)

    response = api_as("reseller").get(URL)

    assert response.status_code == 200
    assert numbers(response) == ["+18555801801", "+18555801802"]  # by number; not held, not inactive
    assert response.json()["results"][1] == {
        "number": "+18555801802", "country": "US", "city": "Tulsa", "province": "OK", "setup_fee": "1.5000",
        "monthly_fee": "2.2500", "billing_type": "recurring", "billing_days": 28,
        "total": "3.7500"}
    assert response.json()["previous"] is None and response.json()["next"] is None


def test_a_customer_sees_its_resellers_unsold_holdings_at_their_sell_cost(people, api_as):
    reseller = people["reseller"]
    for number, setup, price in (("+18555801811", "7", "30"), ("+18555801812", "6", "25.5")):
        d = did(number)
        purchase_did(buyer_id=reseller.account_id, did_id=d.pk, purchase_key=f"r-{number}",
                     sell_setup_fee=D(setup), sell_price=D(price))
    did("+18555801813")  # the operator's, not the reseller's: not in the customer's pool

    rows = api_as("customer").get(URL).json()["results"]

    assert [(r["number"], r["setup_fee"], r["monthly_fee"]) for r in rows] == [
        ("+18555801811", "7.0000", "30.0000"), ("+18555801812", "6.0000", "25.5000")]


def test_the_prices_are_the_price_rules_own(people, api_as):
    """An override for this buyer wins over the SELL COST, as resolve (the purchase's rule) says."""
    reseller, customer = people["reseller"], people["customer"]
    for number in ("+18555801821", "+18555801822"):
        d = did(number)
        purchase_did(buyer_id=reseller.account_id, did_id=d.pk, purchase_key=f"r-{number}",
                     sell_setup_fee=D("6"), sell_price=D("21"))
    d = DID.objects.get(number="+18555801822")
    set_sell_cost(did_id=d.pk, seller_id=reseller.account_id, buyer_id=customer.account_id, setup_fee=D("9"),
                  price=D("33.3"), by=reseller)

    rows = api_as("customer").get(URL).json()["results"]

    buyer = Account.objects.get(pk=customer.account_id)
    for row in rows:
        d = DID.objects.get(number=row["number"])
        rule = price_for(d, seller_holding(buyer, d.pk), buyer.pk)
        assert (D(row["setup_fee"]), D(row["monthly_fee"])) == (rule.setup_fee, rule.price)
    assert rows[1]["monthly_fee"] == "33.3000"


def test_the_filters_narrow_the_pool(people, api_as):
    did("+18555801831", city="Tulsa", monthly_fee=money(D("3")))
    did("+18555801832", city="Boston", monthly_fee=money(D("30")))
    did("+442079460018", country="GB", city="London", monthly_fee=money(D("3")))
    api = api_as("reseller")

    assert numbers(api.get(URL, {"country": "gb"})) == ["+442079460018"]
    assert numbers(api.get(URL, {"city": "tuls"})) == ["+18555801831"]
    assert numbers(api.get(URL, {"prefix": "44"})) == ["+442079460018"]
    assert numbers(api.get(URL, {"prefix": "+1 855"})) == ["+18555801831", "+18555801832"]
    assert numbers(api.get(URL, {"contains": "801832"})) == ["+18555801832"]
    assert numbers(api.get(URL, {"max_monthly": "3"})) == ["+18555801831", "+442079460018"]
    assert numbers(api.get(URL, {"min_monthly": "4"})) == ["+18555801832"]
    assert numbers(api.get(URL, {"country": "US", "max_monthly": "3.0000"})) == ["+18555801831"]
    assert numbers(api.get(URL, {"country": "FR"})) == []


@pytest.mark.parametrize("params, field, message", [
    ({"prefix": "abc"}, "prefix", "Type digits of the number, e.g. 1855."),
    ({"contains": "12x"}, "contains", "Type digits of the number, e.g. 1855."),
    ({"country": "XX"}, "country", "Enter a country's ISO 3166 two-letter code, e.g. US."),
    ({"country": "USA"}, "country", None),
    ({"max_monthly": "1.23456"}, "max_monthly", None),
    ({"max_monthly": "-1"}, "max_monthly", None),
    ({"min_monthly": "5", "max_monthly": "4"}, "max_monthly", "Must be at least min_monthly."),
])
def test_a_filter_typed_wrongly_is_422_next_to_it(people, api_as, params, field, message):
    did("+18555801841")

    response = api_as("reseller").get(URL, params)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation" and list(body["errors"]) == [field]
    if message:
        assert body["errors"][field] == [message]


def test_pages_follow_the_cursor_without_gaps_or_repeats(people, api_as):
    made = sorted(did(f"+1855580185{i}").number for i in range(7))

    rows = every_page(api_as("reseller"), {"limit": 3})

    assert [r["number"] for r in rows] == made


def test_the_admins_token_is_403_the_operator_does_not_buy(people, api_as):
    did("+18555801861")

    response = api_as("admin").get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "operator does not buy" in response.json()["detail"]


def test_a_suspended_sellers_pool_is_empty(people, api_as):
    d = did("+18555801871")
    purchase_did(buyer_id=people["reseller"].account_id, did_id=d.pk, purchase_key="r-1871")
    api = api_as("customer")
    assert numbers(api.get(URL)) == ["+18555801871"]

    account_set_status(account_id=people["reseller"].account_id, status=Account.Status.SUSPENDED)

    assert numbers(api.get(URL)) == []


def test_another_tenants_holdings_are_not_listed(people, api_as):
    d = did("+18555801881")
    purchase_did(buyer_id=people["other"].account_id, did_id=d.pk, purchase_key="o-1881")

    assert numbers(api_as("customer").get(URL)) == []
    assert numbers(api_as("reseller").get(URL)) == []


@pytest.mark.parametrize("role", ["reseller", "customer"])
def test_the_query_count_does_not_grow_with_the_rows(people, api_as, role):
    def count(n_dids):
        for _ in range(n_dids):
            d = DIDFactory()
            if role == "customer":
                purchase_did(buyer_id=people["reseller"].account_id, did_id=d.pk, purchase_key=f"q-{d.pk}")
        api = api_as(role)
        api.get(URL)  # warm: the token's last use is written at most once a minute
        with CaptureQueriesContext(connection) as queries:
            response = api.get(URL, {"limit": 100})
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    few, shown_few = count(2)
    many, shown_many = count(30)

    assert shown_many == shown_few + 30
    assert many == few, f"{few} queries for {shown_few} rows, {many} for {shown_many}"
    assert many <= 6
