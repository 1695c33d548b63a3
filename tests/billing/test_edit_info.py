"""Edit Info after purchase: who may set which sell cost, the floors, the history,
and that a price change never touches what a running subscription pays."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, PriceOverride, Subscription
from dids.models import DIDHistory
from billing.prices.book import BelowCost, PriceRefused, clear_override, set_sell_cost
from billing.subscriptions.purchase import purchase_did
from dids.models import DID
from tests.factories import DIDFactory, make_account_user, make_admin

D = Decimal


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setup(db):
    """A DID (setup 5 + 20, provider cost 5) bought by R1 (selling at 8 + 25), R1's customer C, another reseller R2."""
    admin = make_admin()
    did = DIDFactory(setup_fee="5", monthly_fee="20", buy_cost="5")
    r1 = make_account_user(name="Reseller One")
    r2 = make_account_user(name="Reseller Two")
    c = make_account_user(Account.Kind.CUSTOMER, parent=r1.account, name="Customer C")
    for user in (r1, r2, c):
        add_funds(account_id=user.account_id, amount=D("100"))
    purchase_did(buyer_id=r1.account_id, did_id=did.pk, purchase_key="r1", sell_setup_fee=D("8"),
                 sell_price=D("25"))
    return dict(admin=admin, did=did, r1=r1, r2=r2, c=c)


def _my_url(did):
    return reverse("billing:my_edit_info", args=[did.pk])


def _r1_sub(s):
    return Subscription.objects.get(did=s["did"], account_id=s["r1"].account_id, status="active")


def test_holder_edit_info_shows_buy_cost_and_sell_cost_as_the_seed(setup):
    html = _client(setup["r1"]).get(_my_url(setup["did"])).content.decode()
    for text in ("Edit Info", "DID Information", "BUY COST", "SELL COST", "You pay", "You charge", "Setup Fee (USD)",
                 "Price (USD)", "Billing Type", "Billing Days", "Save", "Cancel",
                 "All customers and sub-resellers", "Customer C"):
        assert text in html, text
    # Issue 17: "Buy Cost" named the provider's cost on the admin's page and the price paid here.
    assert "Buy Cost (USD)" not in html and "Provider cost" not in html
    response = _client(setup["r1"]).get(_my_url(setup["did"]))
    assert response.context["buy"]["setup_fee"] == D("5") and response.context["buy"]["price"] == D("20")
    assert response.context["form"].initial["sell_setup_fee"] == "8.0000"
    assert response.context["form"].initial["sell_price"] == "25.0000"


def test_reseller_saves_its_default_sell_cost_and_history_records_old_and_new(setup):
    response = _client(setup["r1"]).post(_my_url(setup["did"]), {"sell_setup_fee": "6", "sell_price": "22.5"})
    assert response.status_code == 302
    sub = _r1_sub(setup)
    assert (sub.sell_setup_fee.amount, sub.sell_price.amount) == (D("6"), D("22.5"))
    row = DIDHistory.objects.get(did=setup["did"], action="price_changed")
    assert row.actor == setup["r1"] and row.account_id == setup["r1"].account_id and row.for_account is None
    assert (row.old_setup_fee.amount, row.old_price.amount) == (D("8"), D("25"))
    assert (row.setup_fee.amount, row.price.amount) == (D("6"), D("22.5"))
    assert "8.0000 → 6.0000" in row.description and "25.0000 → 22.5000" in row.description


def test_reseller_sets_an_override_for_its_customer_and_can_remove_it(setup):
    client = _client(setup["r1"])
    c_id = setup["c"].account_id
    response = client.post(_my_url(setup["did"]), {"buyer": c_id, "sell_setup_fee": "5", "sell_price": "21"})
    assert response.status_code == 302 and response.url.endswith(f"?buyer={c_id}")
    override = PriceOverride.objects.get(buyer_id=c_id)
    assert (override.setup_fee.amount, override.price.amount) == (D("5"), D("21"))
    assert _r1_sub(setup).sell_price.amount == D("25")  # the default is untouched

    page = client.get(_my_url(setup["did"]), {"buyer": c_id})
    assert page.context["cost"].overridden and "Use default sell cost" in page.content.decode()

    client.post(_my_url(setup["did"]), {"buyer": c_id, "remove_override": "1", "sell_setup_fee": "5",
                                        "sell_price": "21"})
    assert not PriceOverride.objects.filter(buyer_id=c_id).exists()
    assert DIDHistory.objects.filter(did=setup["did"], for_account_id=c_id, action="price_changed").count() == 2


def test_reseller_cannot_sell_below_its_buy_cost(setup):
    before = _r1_sub(setup)
    response = _client(setup["r1"]).post(_my_url(setup["did"]), {"sell_setup_fee": "8", "sell_price": "19.99"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "cannot be below the buy cost" in form.errors["sell_price"][0]
    assert form["sell_price"].value() == "19.99"  # the form as typed
    assert "Sell below cost" not in response.content.decode()  # no way around it for a reseller
    after = _r1_sub(setup)
    assert (after.sell_setup_fee, after.sell_price) == (before.sell_setup_fee, before.sell_price)
    assert not DIDHistory.objects.filter(action="price_changed").exists()


def test_the_below_cost_switch_is_ignored_for_a_reseller(setup):
    response = _client(setup["r1"]).post(_my_url(setup["did"]), {"sell_setup_fee": "1", "sell_price": "1",
                                                                  "below_cost": "on"})
    assert response.status_code == 200 and _r1_sub(setup).sell_price.amount == D("25")
    with pytest.raises(BelowCost):
        set_sell_cost(did_id=setup["did"].pk, seller_id=setup["r1"].account_id, buyer_id=None, setup_fee=D("1"),
                      price=D("1"), by=setup["r1"], allow_below_cost=True)


@pytest.mark.parametrize("bad, message", [("-1", "at least 0"), ("abc", "Enter an amount"), ("", "required")])
def test_bad_amounts_are_refused_next_to_the_field(setup, bad, message):
    response = _client(setup["r1"]).post(_my_url(setup["did"]), {"sell_setup_fee": "8", "sell_price": bad})
    assert response.status_code == 200
    assert response.context["form"].errors["sell_price"]
    assert _r1_sub(setup).sell_price.amount == D("25")


def test_posting_buy_cost_fields_changes_nothing_but_the_sell_cost(setup):
    """Mass assignment: BUY COST, the product and the balance are never the holder's to post."""
    balance = Account.objects.get(pk=setup["r1"].account_id).balance
    _client(setup["r1"]).post(_my_url(setup["did"]), {
        "sell_setup_fee": "8", "sell_price": "30", "setup_fee": "0", "price": "0", "buy_cost": "0",
        "monthly_fee": "0", "billing_days": "1", "billing_type": "one_time", "balance": "9999", "account": "1",
    })
    sub = _r1_sub(setup)
    assert (sub.setup_fee.amount, sub.price.amount, sub.billing_days) == (D("5"), D("20"), 28)
    assert sub.sell_price.amount == D("30")
    did = DID.objects.get(pk=setup["did"].pk)
    assert (did.setup_fee.amount, did.monthly_fee.amount, did.buy_cost.amount) == (D("5"), D("20"), D("5"))
    assert Account.objects.get(pk=setup["r1"].account_id).balance == balance


def test_another_reseller_gets_404_for_a_did_it_does_not_hold(setup):
    client = _client(setup["r2"])
    assert client.get(_my_url(setup["did"])).status_code == 404
    assert client.post(_my_url(setup["did"]), {"sell_setup_fee": "0", "sell_price": "0"}).status_code == 404
    assert _r1_sub(setup).sell_price.amount == D("25")


def test_a_reseller_cannot_price_for_an_account_that_is_not_its_buyer(setup):
    client = _client(setup["r1"])
    r2_id = setup["r2"].account_id
    assert client.get(_my_url(setup["did"]), {"buyer": r2_id}).status_code == 404
    assert client.post(_my_url(setup["did"]), {"buyer": r2_id, "sell_setup_fee": "9",
                                               "sell_price": "30"}).status_code == 404
    assert client.get(_my_url(setup["did"]), {"buyer": "x"}).status_code == 404
    assert not PriceOverride.objects.exists()


def test_resellers_and_customers_cannot_open_the_admin_edit_info(setup):
    did = setup["did"]
    for user in (setup["r1"], setup["c"]):
        client = _client(user)
        assert client.get(reverse("billing:edit_info", args=[did.pk])).status_code == 403
        assert client.get(reverse("billing:holder_edit_info", args=[did.pk, setup["r1"].account_id])).status_code == 403
    assert Client().get(reverse("billing:edit_info", args=[did.pk])).status_code == 302


def test_a_customer_sees_its_edit_info_read_only_and_cannot_post(setup):
    purchase_did(buyer_id=setup["c"].account_id, did_id=setup["did"].pk, purchase_key="c")
    client = _client(setup["c"])
    page = client.get(_my_url(setup["did"]))
    assert page.status_code == 200 and "A customer does not resell" in page.content.decode()
    assert 'name="sell_price"' not in page.content.decode()
    assert client.post(_my_url(setup["did"]), {"sell_setup_fee": "0", "sell_price": "0"}).status_code == 404


def test_admin_override_for_one_reseller_with_all_resellers_as_the_default(setup):
    did, r2 = setup["did"], setup["r2"]
    client = _client(setup["admin"])
    page = client.get(reverse("billing:edit_info", args=[did.pk]))
    html = page.content.decode()
    assert "All resellers" in html and "Reseller Two" in html
    assert page.context["provider_cost"] == D("5") and page.context["buy"]["price"] == D("20")

    response = client.post(reverse("billing:edit_info", args=[did.pk]),
                           {"buyer": r2.account_id, "sell_setup_fee": "1", "sell_price": "5"})
    assert response.status_code == 302
    override = PriceOverride.objects.get(buyer_id=r2.account_id, seller_subscription=None)
    assert (override.setup_fee.amount, override.price.amount) == (D("1"), D("5"))
    row = DIDHistory.objects.get(did=did, for_account_id=r2.account_id)
    assert row.account is None and row.actor == setup["admin"]
    assert (row.old_setup_fee.amount, row.old_price.amount, row.price.amount) == (D("5"), D("20"), D("5"))


def test_admin_all_resellers_sell_cost_is_the_product_price(setup):
    client = _client(setup["admin"])
    client.post(reverse("billing:edit_info", args=[setup["did"].pk]), {"sell_setup_fee": "4", "sell_price": "18"})
    did = DID.objects.get(pk=setup["did"].pk)
    assert (did.setup_fee.amount, did.monthly_fee.amount) == (D("4"), D("18"))


def test_admin_below_cost_needs_the_warning_to_be_confirmed(setup):
    did = setup["did"]
    url = reverse("billing:edit_info", args=[did.pk])
    client = _client(setup["admin"])
    data = {"buyer": setup["r2"].account_id, "sell_setup_fee": "0", "sell_price": "4"}
    warned = client.post(url, data)
    assert warned.status_code == 200
    assert "Below cost: the provider charges 5.0000 per period" in warned.context["form"].errors["sell_price"][0]
    assert "Sell below cost" in warned.content.decode()
    assert not PriceOverride.objects.exists()

    saved = client.post(url, {**data, "below_cost": "on"})
    assert saved.status_code == 302
    assert PriceOverride.objects.get(buyer_id=setup["r2"].account_id).price.amount == D("4")


def test_admin_edits_a_resellers_sell_cost_even_below_its_buy_cost(setup):
    url = reverse("billing:holder_edit_info", args=[setup["did"].pk, setup["r1"].account_id])
    client = _client(setup["admin"])
    assert "Reseller One" in client.get(url).content.decode()
    assert client.post(url, {"sell_setup_fee": "5", "sell_price": "15"}).status_code == 200  # the warning
    assert client.post(url, {"sell_setup_fee": "5", "sell_price": "15", "below_cost": "on"}).status_code == 302
    assert _r1_sub(setup).sell_price.amount == D("15")
    row = DIDHistory.objects.get(did=setup["did"], action="price_changed")
    assert row.actor == setup["admin"] and row.account_id == setup["r1"].account_id


def test_admin_holder_edit_info_is_404_for_an_account_that_does_not_hold_the_did(setup):
    client = _client(setup["admin"])
    url = reverse("billing:holder_edit_info", args=[setup["did"].pk, setup["r2"].account_id])
    assert client.get(url).status_code == 404
    assert client.get(reverse("billing:edit_info", args=[999999])).status_code == 404


def test_a_price_change_never_rewrites_a_running_subscription(setup):
    """The customer bought at R1's 8 + 25; R1 raises it to 10 + 40: C's snapshot and charges stay."""
    c_id = setup["c"].account_id
    purchase_did(buyer_id=c_id, did_id=setup["did"].pk, purchase_key="c")
    entries = list(LedgerEntry.objects.filter(account_id=c_id).values_list("pk", "amount"))
    set_sell_cost(did_id=setup["did"].pk, seller_id=setup["r1"].account_id, buyer_id=c_id, setup_fee=D("10"),
                  price=D("40"), by=setup["r1"])
    set_sell_cost(did_id=setup["did"].pk, seller_id=None, buyer_id=None, setup_fee=D("1"), price=D("99"),
                  by=setup["admin"])
    c_sub = Subscription.objects.get(account_id=c_id, status="active")
    assert (c_sub.setup_fee.amount, c_sub.price.amount) == (D("8"), D("25"))
    r1_sub = _r1_sub(setup)
    assert (r1_sub.setup_fee.amount, r1_sub.price.amount) == (D("5"), D("20"))
    assert list(LedgerEntry.objects.filter(account_id=c_id).values_list("pk", "amount")) == entries


def test_a_purchase_is_refused_when_an_override_changed_after_the_page_was_shown(setup):
    client = _client(setup["c"])
    page = client.get(reverse("resellers:purchase", args=[setup["did"].pk]))
    set_sell_cost(did_id=setup["did"].pk, seller_id=setup["r1"].account_id, buyer_id=setup["c"].account_id,
                  setup_fee=D("9"), price=D("30"), by=setup["r1"])
    initial = page.context["form"].initial
    response = client.post(reverse("resellers:purchase", args=[setup["did"].pk]),
                           {"purchase_key": initial["purchase_key"], "sell_setup_fee": "8", "sell_price": "25"})
    assert response.status_code == 409 and "changed a moment ago" in response.content.decode()
    assert not Subscription.objects.filter(account_id=setup["c"].account_id).exists()


def test_service_refuses_unknown_did_and_non_holder(setup):
    with pytest.raises(PriceRefused):
        set_sell_cost(did_id=999999, seller_id=None, buyer_id=None, setup_fee=D("1"), price=D("1"), by=None)
    with pytest.raises(PriceRefused):
        set_sell_cost(did_id=setup["did"].pk, seller_id=setup["r2"].account_id, buyer_id=None, setup_fee=D("1"),
                      price=D("30"), by=setup["r2"])
    assert clear_override(did_id=setup["did"].pk, seller_id=None, buyer_id=setup["r2"].account_id, by=None) is False


def test_saving_the_same_price_writes_no_history(setup):
    assert set_sell_cost(did_id=setup["did"].pk, seller_id=setup["r1"].account_id, buyer_id=None,
                         setup_fee=D("8"), price=D("25"), by=setup["r1"]) is False
    assert not DIDHistory.objects.filter(action="price_changed").exists()
