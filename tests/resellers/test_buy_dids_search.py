"""Issue 17, part 3: Buy DIDs searched by country (a dropdown of the pool's countries), city, province,
number and the buyer's price, sorted by the buyer's price and setup fee."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import PriceOverride, Subscription
from billing.prices.lookups import prices_for
from billing.subscriptions.holdings import unsold_holdings
from billing.subscriptions.pool import pool_for
from billing.subscriptions.purchase import purchase_did
from billing.subscriptions.offers import with_buyer_prices
from tests.factories import DIDFactory, make_account_user


@pytest.fixture
def pool(db):
    return [
        DIDFactory(number="+18555801802", country="US", city="Dallas", province="Texas", setup_fee="5", monthly_fee="20"),
        DIDFactory(number="+18555801803", country="US", city="Austin", province="Texas", setup_fee="1", monthly_fee="30"),
        DIDFactory(number="+81312345678", country="JP", city="Tokyo", province="Tokyo", setup_fee="9", monthly_fee="10"),
    ]


def _numbers(response):
    return [d.number for d in response.context["page"].rows]


def test_country_is_a_dropdown_of_the_pools_countries_by_name(reseller_client, pool):
    response = reseller_client.get(reverse("resellers:buy"))
    assert response.context["search"].fields["country"].choices == [
        ("", "Any country"), ("JP", "Japan"), ("US", "United States")]
    assert _numbers(reseller_client.get(reverse("resellers:buy"), {"country": "JP"})) == ["+81312345678"]


def test_an_unknown_country_or_a_bad_amount_gets_a_message_next_to_the_field(reseller_client, pool):
    response = reseller_client.get(reverse("resellers:buy"), {"country": "Japan", "min_price": "ten", "city": "Dallas"})
    html = response.content.decode()
    assert 'data-testid="search-error-country"' in html and 'data-testid="search-error-min_price"' in html
    assert 'value="ten"' in html  # the form as typed
    assert _numbers(response) == []  # nothing it did not ask for
    response = reseller_client.get(reverse("resellers:buy"), {"min_price": "30", "max_price": "10"})
    assert "Must be at least the Price from" in response.content.decode()


def test_city_province_prefix_contains_and_price_range(reseller_client, pool):
    url = reverse("resellers:buy")
    assert _numbers(reseller_client.get(url, {"city": "aus"})) == ["+18555801803"]
    assert _numbers(reseller_client.get(url, {"province": "texas"})) == ["+18555801802", "+18555801803"]
    assert _numbers(reseller_client.get(url, {"prefix": "+81 3"})) == ["+81312345678"]
    assert _numbers(reseller_client.get(url, {"number": "1803"})) == ["+18555801803"]
    assert _numbers(reseller_client.get(url, {"min_price": "15", "max_price": "25"})) == ["+18555801802"]
    assert "search-error-prefix" in reseller_client.get(url, {"prefix": "--"}).content.decode()


def test_sort_by_the_buyers_price_and_setup_fee_with_its_override(reseller_client, reseller_user, pool):
    PriceOverride.objects.create(did=pool[2], buyer_id=reseller_user.account_id, setup_fee=Decimal("0"),
                                 price=Decimal("50"))
    url = reverse("resellers:buy")
    assert _numbers(reseller_client.get(url, {"sort": "price"})) == ["+18555801802", "+18555801803", "+81312345678"]
    assert _numbers(reseller_client.get(url, {"sort": "-price"}))[0] == "+81312345678"
    assert _numbers(reseller_client.get(url, {"sort": "setup_fee"})) == ["+81312345678", "+18555801803",
                                                                         "+18555801802"]
    assert _numbers(reseller_client.get(url, {"min_price": "40"})) == ["+81312345678"]


def test_the_sql_prices_agree_with_the_price_rule_under_a_reseller(pool):
    reseller = make_account_user(name="R")
    add_funds(account_id=reseller.account_id, amount=Decimal("500"))
    for i, did in enumerate(pool):
        purchase_did(buyer_id=reseller.account_id, did_id=did.pk, purchase_key=f"k{i}",
                     sell_setup_fee=Decimal(7 + i), sell_price=Decimal(40 - i))
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name="C").account
    PriceOverride.objects.create(did=pool[0], buyer=customer, setup_fee=Decimal("2"), price=Decimal("3"),
                                 seller_subscription=Subscription.objects.get(did=pool[0], account=reseller.account))
    dids = list(with_buyer_prices(pool_for(customer), customer))
    holdings = {s.did_id: s for s in unsold_holdings(reseller.account_id)}
    rule = prices_for(customer, dids, holdings)
    assert len(dids) == 3
    assert {d.pk: (d.buy_setup_fee, d.buy_price) for d in dids} == {
        pk: (p.setup_fee, p.price) for pk, p in rule.items()}
    assert rule[pool[0].pk].price == 3
