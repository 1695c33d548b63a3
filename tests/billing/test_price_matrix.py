"""The price-resolution matrix (issue 4): for every kind of buyer, the price on
Buy DIDs = the price on the Purchase page = the amount charged, and the seller
is credited exactly that.

The world: a DID at Setup Fee 5 + MonthlyFee 20 (the operator's default).
  R2 (top-level reseller)            -> the operator's default           5 + 20 = 25
  R1 (top-level reseller)            -> the admin's override for R1      1 +  5 =  6
  S  (sub-reseller under R1)         -> R1's default sell cost           8 + 12 = 20
  C  (customer of R1)                -> R1's override for C              2 +  9 = 11
  SC (customer of S)                 -> S's default sell cost           10 + 15 = 25
  SC2 (customer of S)                -> S's override for SC2             8 + 13 = 21
Each case builds the world, then one buyer buys through the real pages.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, Subscription
from billing.prices.book import set_sell_cost
from billing.subscriptions.purchase import purchase_did
from billing.subscriptions.release import release_did
from tests.factories import DIDFactory, make_account_user, make_admin

D = Decimal


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db):
    admin = make_admin()
    did = DIDFactory(number="+18555801802", setup_fee="5", monthly_fee="20", buy_cost="5")
    users = {
        "R1": make_account_user(name="Reseller One"),
        "R2": make_account_user(name="Reseller Two"),
    }
    users["S"] = make_account_user(parent=users["R1"].account, name="Sub Reseller")
    users["C"] = make_account_user(Account.Kind.CUSTOMER, parent=users["R1"].account, name="Customer C")
    users["SC"] = make_account_user(Account.Kind.CUSTOMER, parent=users["S"].account, name="Customer SC")
    users["SC2"] = make_account_user(Account.Kind.CUSTOMER, parent=users["S"].account, name="Customer SC2")
    for user in users.values():
        add_funds(account_id=user.account_id, amount=D("100"))

    set_sell_cost(did_id=did.pk, seller_id=None, buyer_id=users["R1"].account_id, setup_fee=D("1"), price=D("5"),
                  by=admin)
    return admin, did, users


def _chain_to(world, buyer: str) -> None:
    """Put the DID in the pool of ``buyer``'s seller, at the sell costs of the table above."""
    admin, did, users = world
    if buyer in ("R1", "R2"):
        return
    purchase_did(buyer_id=users["R1"].account_id, did_id=did.pk, purchase_key="r1", sell_setup_fee=D("8"),
                 sell_price=D("12"))
    set_sell_cost(did_id=did.pk, seller_id=users["R1"].account_id, buyer_id=users["C"].account_id,
                  setup_fee=D("2"), price=D("9"), by=users["R1"])
    if buyer in ("SC", "SC2"):
        purchase_did(buyer_id=users["S"].account_id, did_id=did.pk, purchase_key="s", sell_setup_fee=D("10"),
                     sell_price=D("15"))
        set_sell_cost(did_id=did.pk, seller_id=users["S"].account_id, buyer_id=users["SC2"].account_id,
                      setup_fee=D("8"), price=D("13"), by=users["S"])


def _buy_dids_offer(client, did):
    page = client.get(reverse("resellers:buy")).context["page"]
    [row] = [d for d in page.rows if d.pk == did.pk]
    return row.offer.setup_fee, row.offer.price


@pytest.mark.parametrize("buyer, seller, setup, price", [
    ("R2", None, "5", "20"),
    ("R1", None, "1", "5"),
    ("S", "R1", "8", "12"),
    ("C", "R1", "2", "9"),
    ("SC", "S", "10", "15"),
    ("SC2", "S", "8", "13"),
])
def test_buy_dids_price_equals_purchase_page_price_equals_charge(world, buyer, seller, setup, price):
    _, did, users = world
    _chain_to(world, buyer)
    user = users[buyer]
    client = _client(user)
    expected = (D(setup), D(price))

    assert _buy_dids_offer(client, did) == expected

    page = client.get(reverse("resellers:purchase", args=[did.pk]))
    assert (page.context["price"].setup_fee, page.context["price"].price) == expected
    assert f"{D(setup) + D(price):.4f} USD" in page.content.decode()

    seller_before = Account.objects.get(pk=users[seller].account_id).balance.amount if seller else None
    initial = page.context["form"].initial
    response = client.post(reverse("resellers:purchase", args=[did.pk]), {
        "purchase_key": initial["purchase_key"], "sell_setup_fee": initial["sell_setup_fee"],
        "sell_price": initial["sell_price"],
    })
    assert response.status_code == 302

    charged = -sum(e.amount.amount for e in LedgerEntry.objects.filter(account_id=user.account_id, amount__lt=0))
    assert charged == D(setup) + D(price)
    sub = Subscription.objects.get(account_id=user.account_id, did=did, status="active")
    assert (sub.setup_fee.amount, sub.price.amount) == expected
    if seller:
        seller_after = Account.objects.get(pk=users[seller].account_id).balance.amount
        assert seller_after - seller_before == D(setup) + D(price)


def test_other_buyers_keep_the_default_while_one_has_an_override(world):
    _, did, users = world
    assert _buy_dids_offer(_client(users["R2"]), did) == (D("5"), D("20"))
    assert _buy_dids_offer(_client(users["R1"]), did) == (D("1"), D("5"))


def test_an_override_of_a_reseller_that_released_the_did_no_longer_applies(world):
    """Overrides belong to the seller's holding: R1 releases, buys again, C pays R1's new default."""
    _, did, users = world
    _chain_to(world, "C")
    release_did(account_id=users["R1"].account_id, did_id=did.pk)
    purchase_did(buyer_id=users["R1"].account_id, did_id=did.pk, purchase_key="r1-again", sell_setup_fee=D("4"),
                 sell_price=D("7"))
    assert _buy_dids_offer(_client(users["C"]), did) == (D("4"), D("7"))
