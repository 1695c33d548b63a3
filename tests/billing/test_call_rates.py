"""Per-level call rates (issue 7): what each level of a chain pays per call, the
"not below its own" rule, and setting a reseller's SELL COST rates on Edit Info
(each refusal next to its field, the admin's "Sell below cost", null when equal
to the buy rates, history)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Account
from dids.call_rates import below_own, chain_rates, sell_rates
from billing.subscriptions.chain import top_down
from billing.ledger.funds import add_funds
from billing.models import Subscription
from dids.models import DIDHistory
from billing.subscriptions.purchase import purchase_did
from billing.prices.rate_book import RatesRefused, rate_card, set_sell_cost_and_rates, set_sell_rates
from dids.rating import Rates, call_cost
from dids.models import DID
from tests.factories import DIDFactory, make_account_user, make_admin

D = Decimal
EXAMPLE = Rates(D("0.05"), 10, D("0.60"), 30, 6)  # DESIGN.md section 6
HIGHER = Rates(D("0.06"), 5, D("0.90"), 36, 12)
RATE_POST = {"sell_connection_cost": "0.0600", "sell_grace_time": "5", "sell_cost_per_min": "0.9000",
             "sell_initial_increment": "36", "sell_increment": "12"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def chain(db):
    """The DID of DESIGN.md's example bought by R1, sold on to its sub-reseller R2, sold on to R2's customer C."""
    admin = make_admin()
    did = DIDFactory(setup_fee="1", monthly_fee="5", buy_cost="1", connection_cost="0.05", grace_time=10,
                     cost_per_min="0.60", initial_increment=30, increment=6)
    r1 = make_account_user(name="Reseller One")
    r2 = make_account_user(parent=r1.account, name="Sub Reseller")
    c = make_account_user(Account.Kind.CUSTOMER, parent=r2.account, name="Customer C")
    for user in (r1, r2, c):
        add_funds(account_id=user.account_id, amount=D("100"))
    for user in (r1, r2, c):
        purchase_did(buyer_id=user.account_id, did_id=did.pk, purchase_key=f"k{user.account_id}")
    return dict(admin=admin, did=did, r1=r1, r2=r2, c=c)


def _sub(s, who) -> Subscription:
    return Subscription.objects.get(did=s["did"], account_id=s[who].account_id, status="active")


def _levels(s):
    did = DID.objects.get(pk=s["did"].pk)
    return chain_rates(did, top_down(Subscription.objects.filter(did=did, status="active")))


def _my_url(s):
    return reverse("billing:my_edit_info", args=[s["did"].pk])


def _prices(s, who):
    sub = _sub(s, who)
    return {"sell_setup_fee": str(sub.sell_setup_fee.amount), "sell_price": str(sub.sell_price.amount)}


# --- chain_rates: what each level pays ------------------------------------------------------------------

def test_every_level_pays_the_dids_rates_while_nobody_set_its_own(chain):
    assert _levels(chain) == [EXAMPLE, EXAMPLE, EXAMPLE]


def test_level_3_pays_level_2s_sell_rates(chain):
    set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r2"].account_id, rates=HIGHER, by=chain["r2"])
    assert _levels(chain) == [EXAMPLE, EXAMPLE, HIGHER]


def test_level_3_pays_level_1s_sell_rates_when_level_2_set_none(chain):
    set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r1"].account_id, rates=HIGHER, by=chain["r1"])
    assert _levels(chain) == [EXAMPLE, HIGHER, HIGHER]


def test_each_level_pays_its_sellers_rates(chain):
    even_higher = Rates(D("0.07"), 5, D("1.00"), 48, 24)
    set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r1"].account_id, rates=HIGHER, by=chain["r1"])
    set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r2"].account_id, rates=even_higher, by=chain["r2"])
    assert _levels(chain) == [EXAMPLE, HIGHER, even_higher]
    assert [call_cost(47, r) for r in _levels(chain)] == [D("0.4700"), D("0.7800"), D("0.8700")]


def test_chain_rates_of_no_chain_and_of_one_level():
    did = DID(connection_cost=D("0.05"), grace_time=10, cost_per_min=D("0.60"), initial_increment=30, increment=6)
    assert chain_rates(did, []) == []
    assert chain_rates(did, [Subscription()]) == [EXAMPLE]


def test_sell_rates_is_none_until_set():
    assert sell_rates(Subscription()) is None


# --- below_own: the rule and its reason ------------------------------------------------------------------

@pytest.mark.parametrize("new, field", [
    (Rates(D("0.04"), 10, D("0.60"), 30, 6), "sell_connection_cost"),
    (Rates(D("0.05"), 11, D("0.60"), 30, 6), "sell_grace_time"),
    (Rates(D("0.05"), 10, D("0.59"), 30, 6), "sell_cost_per_min"),
    (Rates(D("0.05"), 10, D("0.60"), 24, 6), "sell_initial_increment"),
    (Rates(D("0.05"), 10, D("0.60"), 33, 6), "sell_initial_increment"),  # not whole increments of 6
    (Rates(D("0.05"), 10, D("0.60"), 30, 9), "sell_increment"),
    (Rates(D("0.05"), 10, D("0.60"), 30, 3), "sell_increment"),
])
def test_below_own_names_the_field(new, field):
    assert list(below_own(new, EXAMPLE)) == [field]


def test_equal_or_higher_rates_are_not_below():
    assert below_own(EXAMPLE, EXAMPLE) == {} and below_own(HIGHER, EXAMPLE) == {}


_rates = st.builds(
    Rates, st.decimals(min_value=0, max_value=2, places=4), st.integers(0, 60),
    st.decimals(min_value=0, max_value=5, places=4), st.integers(0, 120), st.integers(1, 60),
)


@settings(max_examples=200, deadline=None)
@given(own=_rates, extra=st.tuples(st.decimals(min_value=0, max_value=1, places=4), st.integers(0, 60),
                                   st.decimals(min_value=0, max_value=1, places=4), st.integers(0, 5),
                                   st.integers(1, 5)),
       billsec=st.integers(0, 3600))
def test_rates_allowed_by_the_rule_never_cost_less_for_any_duration(own, extra, billsec):
    """The rule is enough: every duration costs the buyer at least what it costs the seller."""
    cc, grace_less, cpm, blocks, times = extra
    new = Rates(own.connection_cost + cc, max(0, own.grace_time - grace_less), own.cost_per_min + cpm,
                own.initial_increment + blocks * own.increment, own.increment * times)
    assert below_own(new, own) == {}
    assert call_cost(billsec, new) >= call_cost(billsec, own)


# --- rate_book: the service ------------------------------------------------------------------------------

def test_setting_rates_writes_them_and_a_history_row(chain):
    assert set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r1"].account_id, rates=HIGHER, by=chain["r1"])
    sub = _sub(chain, "r1")
    assert sell_rates(sub) == HIGHER
    row = DIDHistory.objects.get(did=chain["did"], action="price_changed")
    assert row.account_id == chain["r1"].account_id and row.actor == chain["r1"] and row.for_account is None
    assert row.description == (
        f"Call rates of {chain['r1'].account} for all its buyers: Connection 0.0500 → 0.0600, Grace 10 s → 5 s, "
        "Cost/Min 0.6000 → 0.9000, Initial Increment 30 s → 36 s, Increment 6 s → 12 s"
    )


def test_rates_equal_to_the_buy_rates_are_stored_as_none(chain):
    did_id, r1 = chain["did"].pk, chain["r1"]
    assert set_sell_rates(did_id=did_id, seller_id=r1.account_id, rates=EXAMPLE, by=r1) is False  # already so
    assert sell_rates(_sub(chain, "r1")) is None
    set_sell_rates(did_id=did_id, seller_id=r1.account_id, rates=HIGHER, by=r1)
    assert set_sell_rates(did_id=did_id, seller_id=r1.account_id, rates=HIGHER, by=r1) is False
    assert set_sell_rates(did_id=did_id, seller_id=r1.account_id, rates=EXAMPLE, by=r1) is True
    assert sell_rates(_sub(chain, "r1")) is None  # follows the level above again
    assert "same as its buy cost" in DIDHistory.objects.filter(action="price_changed").first().description
    assert DIDHistory.objects.filter(action="price_changed").count() == 2


def test_rates_left_as_none_follow_a_change_above(chain):
    set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r1"].account_id, rates=HIGHER, by=chain["r1"])
    card = rate_card(chain["did"], _sub(chain, "r2"))
    assert (card.buy, card.sell, card.own) == (HIGHER, HIGHER, False)


def test_a_reseller_cannot_go_below_its_own_rates(chain):
    with pytest.raises(RatesRefused) as refused:
        set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r1"].account_id, by=chain["r1"],
                       rates=Rates(D("0.01"), 10, D("0.60"), 30, 6), allow_below_cost=True)
    assert refused.value.below_cost and list(refused.value.errors) == ["sell_connection_cost"]
    assert sell_rates(_sub(chain, "r1")) is None and not DIDHistory.objects.filter(action="price_changed").exists()


def test_the_admin_may_go_below_when_it_says_so(chain):
    low = Rates(D("0.01"), 20, D("0.10"), 0, 1)
    with pytest.raises(RatesRefused):
        set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r2"].account_id, rates=low, by=chain["admin"])
    assert set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r2"].account_id, rates=low, by=chain["admin"],
                          allow_below_cost=True)
    assert sell_rates(_sub(chain, "r2")) == low


def test_customers_and_non_holders_have_no_sell_rates(chain):
    with pytest.raises(RatesRefused, match="customer does not resell"):
        set_sell_rates(did_id=chain["did"].pk, seller_id=chain["c"].account_id, rates=HIGHER, by=chain["admin"])
    stranger = make_account_user(name="Stranger")
    with pytest.raises(RatesRefused, match="does not hold"):
        set_sell_rates(did_id=chain["did"].pk, seller_id=stranger.account_id, rates=HIGHER, by=stranger)


def test_price_and_rates_are_saved_together_or_not_at_all(chain):
    r1 = chain["r1"]
    with pytest.raises(RatesRefused) as refused:
        set_sell_cost_and_rates(did_id=chain["did"].pk, seller_id=r1.account_id, buyer_id=None, setup_fee=D("9"),
                                price=D("9"), rates=Rates(D("0"), 10, D("0.60"), 30, 6), by=r1)
    assert list(refused.value.errors) == ["sell_connection_cost"]
    assert _sub(chain, "r1").sell_price.amount == D("5")  # the valid price was not kept either
    with pytest.raises(RatesRefused) as refused:
        set_sell_cost_and_rates(did_id=chain["did"].pk, seller_id=r1.account_id, buyer_id=None, setup_fee=D("1"),
                                price=D("1"), rates=Rates(D("0"), 10, D("0.60"), 30, 6), by=r1)
    assert set(refused.value.errors) == {"sell_price", "sell_connection_cost"}  # both reported at once
    assert set_sell_cost_and_rates(did_id=chain["did"].pk, seller_id=r1.account_id, buyer_id=None,
                                   setup_fee=D("1"), price=D("9"), rates=HIGHER, by=r1) == (True, True)


# --- Edit Info: the rows and the form ---------------------------------------------------------------------

def test_edit_info_shows_the_rate_rows_with_buy_and_sell_columns(chain):
    set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r1"].account_id, rates=HIGHER, by=chain["r1"])
    response = _client(chain["r2"]).get(_my_url(chain))
    html = response.content.decode()
    for label in ("Call rates", "Connection Cost (USD)", "Grace Time (Sec.)", "Cost/Min(USD)", "Initial Increment",
                  "Increment", "Same as my buy cost"):
        assert label in html, label
    # BUY COST = what R2 pays (R1's sell rates); the inputs start from them while R2 has none of its own.
    assert 'data-testid="buy-sell_connection_cost">0.0600<' in html
    assert 'data-testid="buy-sell_increment">12<' in html
    form = response.context["form"]
    assert form.initial["sell_connection_cost"] == "0.0600" and form.initial["sell_increment"] == "12"
    assert 'name="sell_cost_per_min"' in html and 'value="0.9000"' in html


def test_a_reseller_saves_its_rates_with_the_price_form(chain):
    client = _client(chain["r1"])
    response = client.post(_my_url(chain), {**_prices(chain, "r1"), **RATE_POST})
    assert response.status_code == 302
    assert sell_rates(_sub(chain, "r1")) == HIGHER
    page = client.get(_my_url(chain))
    assert "Call rates saved" in page.content.decode() and "Own rates" in page.content.decode()
    assert "Nothing changed" not in page.content.decode()


@pytest.mark.parametrize("field, value, message", [
    ("sell_connection_cost", "0.0400", "Cannot be below your own Connection Cost (0.0500)"),
    ("sell_grace_time", "11", "Cannot be longer than your own Grace Time (10 s)"),
    ("sell_cost_per_min", "0.5", "Cannot be below your own Cost/Min (0.6000)"),
    ("sell_initial_increment", "31", "Must be your own Initial Increment (30 s) plus whole Increments of 6 s"),
    ("sell_increment", "9", "Must be a whole multiple of your own Increment (6 s)"),
])
def test_each_rate_below_its_own_is_refused_next_to_its_field(chain, field, value, message):
    data = {**_prices(chain, "r1"), **RATE_POST, field: value}
    response = _client(chain["r1"]).post(_my_url(chain), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field] and message in form.errors[field][0]
    html = response.content.decode()
    assert f'id="error_{field}"' in html and f'value="{value}"' in html  # next to the field, as typed
    assert "Sell below cost" not in html  # a reseller has no way around it
    assert sell_rates(_sub(chain, "r1")) is None


def test_the_below_cost_box_does_nothing_for_a_reseller(chain):
    data = {**_prices(chain, "r1"), **RATE_POST, "sell_cost_per_min": "0.01", "below_cost": "on"}
    assert _client(chain["r1"]).post(_my_url(chain), data).status_code == 200
    assert sell_rates(_sub(chain, "r1")) is None


@pytest.mark.parametrize("field, value", [("sell_increment", "0"), ("sell_grace_time", "-1"), ("sell_increment", ""),
                                          ("sell_cost_per_min", "1e3"), ("sell_initial_increment", "1.5")])
def test_bad_rate_values_are_refused_next_to_the_field(chain, field, value):
    response = _client(chain["r1"]).post(_my_url(chain), {**_prices(chain, "r1"), **RATE_POST, field: value})
    assert response.status_code == 200 and list(response.context["form"].errors) == [field]
    assert sell_rates(_sub(chain, "r1")) is None


def test_the_admin_sells_below_for_a_reseller_after_ticking_sell_below_cost(chain):
    url = reverse("billing:holder_edit_info", args=[chain["did"].pk, chain["r1"].account_id])
    client = _client(chain["admin"])
    data = {**_prices(chain, "r1"), **RATE_POST, "sell_connection_cost": "0.0100", "sell_increment": "1"}
    warned = client.post(url, data)
    assert warned.status_code == 200
    errors = warned.context["form"].errors
    assert set(errors) == {"sell_connection_cost", "sell_increment", "__all__"}
    assert "Cannot be below its own Connection Cost (0.0500)" in errors["sell_connection_cost"][0]  # not "your"
    assert "Sell below cost" in warned.content.decode()
    assert sell_rates(_sub(chain, "r1")) is None
    assert client.post(url, {**data, "below_cost": "on"}).status_code == 302
    assert sell_rates(_sub(chain, "r1")) == Rates(D("0.01"), 5, D("0.90"), 36, 1)
    assert DIDHistory.objects.get(action="price_changed").actor == chain["admin"]


def test_saving_the_buy_rates_unchanged_keeps_them_following(chain):
    client = _client(chain["r1"])
    same = {"sell_connection_cost": "0.05", "sell_grace_time": "10", "sell_cost_per_min": "0.6",
            "sell_initial_increment": "30", "sell_increment": "6"}
    assert client.post(_my_url(chain), {**_prices(chain, "r1"), **same}).status_code == 302
    assert sell_rates(_sub(chain, "r1")) is None
    assert not DIDHistory.objects.filter(action="price_changed").exists()
    assert "Same as my buy cost" in client.get(_my_url(chain)).content.decode()


def test_a_price_only_post_leaves_the_rates_alone(chain):
    set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r1"].account_id, rates=HIGHER, by=chain["r1"])
    assert _client(chain["r1"]).post(_my_url(chain), {"sell_setup_fee": "2", "sell_price": "6"}).status_code == 302
    assert sell_rates(_sub(chain, "r1")) == HIGHER


def test_a_half_filled_rate_set_is_refused(chain):
    response = _client(chain["r1"]).post(_my_url(chain), {**_prices(chain, "r1"),
                                                          "sell_connection_cost": "0.07"})
    assert set(response.context["form"].errors) == {"sell_grace_time", "sell_cost_per_min", "sell_initial_increment",
                                                    "sell_increment"}


def test_rates_posted_for_one_buyer_or_on_the_operators_page_are_ignored(chain):
    """Mass assignment: the rates are one set per reseller; the operator's are the DID's own."""
    r2_id = chain["r2"].account_id
    _client(chain["r1"]).post(_my_url(chain), {"buyer": r2_id, "sell_setup_fee": "1", "sell_price": "5", **RATE_POST})
    assert sell_rates(_sub(chain, "r1")) is None
    _client(chain["admin"]).post(reverse("billing:edit_info", args=[chain["did"].pk]),
                                 {"sell_setup_fee": "1", "sell_price": "5", **RATE_POST})
    did = DID.objects.get(pk=chain["did"].pk)
    assert Rates.of(did) == EXAMPLE


def test_the_operators_page_shows_the_dids_rates_read_only(chain):
    html = _client(chain["admin"]).get(reverse("billing:edit_info", args=[chain["did"].pk])).content.decode()
    assert 'name="sell_connection_cost"' not in html
    assert 'data-testid="buy-sell_cost_per_min">0.6000<' in html and 'data-testid="sell-sell_cost_per_min">0.6000<' in html
    assert reverse("dids:edit", args=[chain["did"].pk]) in html


def test_a_customer_sees_what_it_pays_per_call_read_only(chain):
    set_sell_rates(did_id=chain["did"].pk, seller_id=chain["r2"].account_id, rates=HIGHER, by=chain["r2"])
    html = _client(chain["c"]).get(_my_url(chain)).content.decode()
    assert 'name="sell_cost_per_min"' not in html
    assert 'data-testid="buy-sell_cost_per_min">0.9000<' in html
    assert _client(chain["c"]).post(_my_url(chain), {**_prices(chain, "c"), **RATE_POST}).status_code == 404
