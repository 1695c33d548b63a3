"""Buy DIDs, finished (issue 17): the "Buy the N numbers matching this search" button says how many; the
Buy several confirmation shows a reseller what each number will charge; a sort by price without price
overrides reads plain columns (an index at a million DIDs) and gives exactly the order of the price rule's
expression; every sortable header says aria-sort."""

import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import PriceOverride, Subscription
from billing.subscriptions.pool import pool_for
from billing.subscriptions.purchase import purchase_did
from billing.subscriptions.purchase_many import MAX_AT_ONCE
from dids.models import DID
from billing.subscriptions.offers import with_buyer_prices
from tests.factories import DIDFactory, make_account_user

BUY = "resellers:buy"


def _button(response) -> str:
    match = re.search(r'data-testid="buy-matching">([^<]*)<', response.content.decode())
    assert match, "no 'Buy the numbers matching this search' button"
    return match.group(1)


# --- 1. how many match ---------------------------------------------------------------

def test_the_matching_button_says_the_exact_count(reseller_client, db):
    for i in range(3):
        DIDFactory(number=f"+1855580180{i}", country="US")
    DIDFactory(number="+81312345678", country="JP")
    url = reverse(BUY)
    assert _button(reseller_client.get(url)) == "Buy the 4 numbers matching this search"
    assert _button(reseller_client.get(url, {"country": "JP"})) == "Buy the 1 number matching this search"
    assert _button(reseller_client.get(url, {"prefix": "1855"})) == "Buy the 3 numbers matching this search"


def test_more_than_the_cap_says_the_first_hundred_of_how_many(reseller_client, db, settings):
    DIDFactory.create_batch(MAX_AT_ONCE + 3)
    url = reverse(BUY)
    assert _button(reseller_client.get(url)) == (
        f"Buy the first {MAX_AT_ONCE} (by number) of {MAX_AT_ONCE + 3} matching this search")
    # Above the list's exact-count limit the list's own estimate is used, never a full count.
    settings.LIST_EXACT_COUNT_LIMIT = 50
    with CaptureQueriesContext(connection) as captured:
        text = _button(reseller_client.get(url))
    assert re.fullmatch(rf"Buy the first {MAX_AT_ONCE} \(by number\) of (about|more than) [\d,]+ matching this search",
                        text), text
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper() and "dids_did" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 51" in counts[0]  # the list's capped count, nothing more


# --- 2. what a reseller will charge --------------------------------------------------

def test_buy_several_shows_a_reseller_what_each_number_will_charge_and_a_customer_nothing(client, db):
    reseller = make_account_user(name="R")
    add_funds(account_id=reseller.account_id, amount=Decimal("100"))
    dids = [DIDFactory(number=f"+1855580180{i}", setup_fee="1.5", monthly_fee=f"{10 + i}",
                        billing_days=30) for i in range(2)]
    client.force_login(reseller)
    page = client.post(reverse("resellers:buy_many"), {"did": [d.pk for d in dids]})
    html = page.content.decode()
    sells = re.findall(r'data-testid="buy-many-sell">([^<]*)<', html)
    assert sells == ["You will charge: 1.5000 setup, 10.0000 every 30 days",
                     "You will charge: 1.5000 setup, 11.0000 every 30 days"]
    assert "change it after the purchase in Edit Info" in html
    # What it says is what the purchase sets.
    assert client.post(reverse("resellers:buy_many"), {"key": page.context["key"]}).status_code == 302
    held = {s.did_id: (s.sell_setup_fee.amount, s.sell_price.amount)
            for s in Subscription.objects.filter(account_id=reseller.account_id)}
    assert held == {dids[0].pk: (Decimal("1.5"), Decimal("10")), dids[1].pk: (Decimal("1.5"), Decimal("11"))}

    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name="C")
    client.force_login(customer)
    page = client.post(reverse("resellers:buy_many"), {"did": [d.pk for d in dids]})
    html = page.content.decode()
    assert page.status_code == 200 and len(page.context["rows"]) == 2
    assert "buy-many-sell" not in html and "You will charge" not in html and "Edit Info" not in html


# --- 3. the fast sort gives the slow sort's order --------------------------------------

@pytest.fixture
def tied_pool(db):
    """Ties in price and in setup fee, across what will be several keyset pages."""
    return [DIDFactory(number=f"+1855580{i:04d}", setup_fee=str(i % 3), monthly_fee=str(1 + (i * 7) % 4))
            for i in range(23)]


def _walk(client, query) -> list[str]:
    url = reverse(BUY)
    response = client.get(url, query)
    numbers = []
    for _ in range(50):
        numbers += [d.number for d in response.context["page"].rows]
        links = {link["label"]: link["href"] for link in response.context["page"].links if not link["disabled"]}
        if "Next" not in links:
            return numbers
        response = client.get(url, dict(parse_qsl(links["Next"].lstrip("?"))))
    raise AssertionError("too many pages")


def test_sorting_without_overrides_gives_the_order_of_the_price_rule(client, tied_pool, settings):
    settings.LIST_EXACT_COUNT_LIMIT = 5  # keyset pages (Next carries a cursor) from the first page on
    plain = make_account_user(name="Plain")
    ruled = make_account_user(name="With an override")
    # An override on a DID outside the pool: the same prices, but the buyer takes the price rule's expression.
    sold = DIDFactory(number="+19995550000", holder=make_account_user(name="H").account)
    PriceOverride.objects.create(did=sold, buyer=ruled.account, setup_fee=Decimal("0"), price=Decimal("0"))
    fast = str(with_buyer_prices(pool_for(plain.account), plain.account).order_by("buy_price").query)
    slow = str(with_buyer_prices(pool_for(ruled.account), ruled.account).order_by("buy_price").query)
    assert "COALESCE" not in fast.upper() and "COALESCE" in slow.upper()  # the two paths are taken
    by_rule = {
        "price": sorted(tied_pool, key=lambda d: (d.monthly_fee.amount, d.number)),
        "setup_fee": sorted(tied_pool, key=lambda d: (d.setup_fee.amount, d.number)),
    }
    for sort in ("price", "-price", "setup_fee", "-setup_fee"):
        expected = [d.number for d in by_rule[sort.lstrip("-")]]
        expected = expected[::-1] if sort.startswith("-") else expected
        for user in (plain, ruled):
            client.force_login(user)
            assert _walk(client, {"sort": sort, "per_page": 10}) == expected, (sort, user)
        client.force_login(plain)
        assert _walk(client, {"sort": sort, "per_page": 10, "min_price": "2", "max_price": "3"}) == [
            n for n in expected if 2 <= DID.objects.get(number=n).monthly_fee.amount <= 3]


def test_a_resellers_pool_without_overrides_sorts_as_the_price_rule(client, db, settings):
    settings.LIST_EXACT_COUNT_LIMIT = 5
    reseller = make_account_user(name="R")
    add_funds(account_id=reseller.account_id, amount=Decimal("1000"))
    dids = [DIDFactory(number=f"+1855581{i:04d}") for i in range(13)]
    for i, did in enumerate(dids):
        purchase_did(buyer_id=reseller.account_id, did_id=did.pk, purchase_key=f"r{i}",
                     sell_setup_fee=Decimal(i % 3), sell_price=Decimal(5 + (i * 5) % 4))
    plain, ruled, other = (make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name=name)
                           for name in ("P", "Q", "S"))
    # Q has an override on a holding R sold on to S: outside the pool, the same prices, the rule's expression.
    add_funds(account_id=other.account_id, amount=Decimal("100"))
    purchase_did(buyer_id=other.account_id, did_id=dids[0].pk, purchase_key="s0")
    PriceOverride.objects.create(did=dids[0], buyer=ruled.account, setup_fee=Decimal("0"), price=Decimal("0"),
                                 seller_subscription=Subscription.objects.get(did=dids[0], account=reseller.account))
    fast = str(with_buyer_prices(pool_for(plain.account), plain.account).order_by("buy_price").query)
    slow = str(with_buyer_prices(pool_for(ruled.account), ruled.account).order_by("buy_price").query)
    assert "COALESCE" not in fast.upper() and "COALESCE" in slow.upper()
    held = [s for s in Subscription.objects.filter(account=reseller.account, did__in=dids[1:]).select_related("did")]
    for sort, key in (("price", lambda s: (s.sell_price.amount, s.did.number)),
                      ("setup_fee", lambda s: (s.sell_setup_fee.amount, s.did.number))):
        expected = [s.did.number for s in sorted(held, key=key)]
        for direction, order in (("", expected), ("-", expected[::-1])):
            for user in (plain, ruled):
                client.force_login(user)
                assert _walk(client, {"sort": direction + sort, "per_page": 10}) == order, (sort, user)


@pytest.mark.postgres
def test_a_sort_by_price_reads_the_pool_price_index(reseller_client, db, settings):
    from tests.dids.test_list_plans import _insert_dids, _next, _page_query_plan
    from tests.factories import ProviderFactory

    settings.LIST_EXACT_COUNT_LIMIT = 1_000
    _insert_dids(ProviderFactory(name="Carrier").pk, Account.objects.create(name="H", kind="reseller").pk)
    url = reverse(BUY)
    for sort, index in (("price", "did_pool_price"), ("-price", "did_pool_price"),
                        ("setup_fee", "did_pool_setup_fee"), ("-setup_fee", "did_pool_setup_fee")):
        for query in ({"sort": sort}, _next(reseller_client, url, {"sort": sort})):
            plan = _page_query_plan(reseller_client, url, query)
            assert index in plan and "Seq Scan" not in plan and "Sort" not in plan, (query, plan)


# --- 4. aria-sort -------------------------------------------------------------------

class _Headers(HTMLParser):
    """Each <th> holding a sort link: (its aria-sort or None, the link's text)."""

    def __init__(self):
        super().__init__()
        self.headers, self._th, self._in_link = [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "th":
            self._th = [attrs.get("aria-sort"), None]
        elif tag == "a" and "sort-link" in (attrs.get("class") or "") and self._th is not None:
            self._in_link, self._th[1] = True, ""

    def handle_data(self, data):
        if self._in_link:
            self._th[1] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = False
        elif tag == "th" and self._th is not None:
            if self._th[1] is not None:
                self.headers.append((self._th[0], self._th[1].strip()))
            self._th = None


def _sort_headers(response) -> list[tuple]:
    parser = _Headers()
    parser.feed(response.content.decode())
    return parser.headers


def test_every_sortable_header_says_aria_sort_on_the_sorted_column(client, db):
    reseller = make_account_user(name="R")
    add_funds(account_id=reseller.account_id, amount=Decimal("50"))
    DIDFactory.create_batch(2)
    client.force_login(reseller)
    buy = reverse(BUY)
    cases = [
        (buy, {}, "DID", "ascending"),
        (buy, {"sort": "price"}, "Price", "ascending"),
        (buy, {"sort": "-setup_fee"}, "Setup Fee", "descending"),
        (buy, {"sort": "billing_days"}, "Billing Days", "ascending"),
        (reverse("billing:statement"), {}, "Date", "descending"),
        (reverse("billing:statement"), {"sort": "date"}, "Date", "ascending"),
    ]
    for url, query, column, direction in cases:
        headers = _sort_headers(client.get(url, query))
        assert headers, (url, query)
        sorted_ones = [(aria, label) for aria, label in headers if aria]
        assert len(sorted_ones) == 1, (url, query, headers)
        aria, label = sorted_ones[0]
        assert label.startswith(column) and aria == direction, (url, query, headers)


def test_an_entry_table_without_sorting_has_a_plain_date_header(admin_client, reseller_user):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("5"))
    html = admin_client.get(reverse("billing:account", args=[reseller_user.account_id])).content.decode()
    assert "<th>Date</th>" in html and "aria-sort" not in html
