"""Issue 17, part 3: buying several DIDs in one transaction, all or none
(billing/subscriptions/purchase_many.py)."""

import uuid
from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.purchase import PurchaseRefused, purchase_did
from billing.subscriptions.purchase_many import ManyResult, purchase_many
from dids.models import DID
from tests.factories import DIDFactory, make_account_user
from tests.races import race

D = Decimal


def funded(amount, **kwargs) -> Account:
    account = make_account_user(**kwargs).account
    add_funds(account_id=account.pk, amount=D(amount))
    return account


def shown(dids):
    """What the confirmation page showed: {did id: (setup fee, price)}."""
    return {d.pk: (d.setup_fee.amount, d.monthly_fee.amount) for d in dids}


@pytest.fixture
def three(db):
    return [DIDFactory(setup_fee="1", monthly_fee="10") for _ in range(3)]


def test_buys_all_charges_the_total_once(three):
    buyer = funded("100")
    key = uuid.uuid4().hex
    result = purchase_many(buyer_id=buyer.pk, expected=shown(three), purchase_key=key)
    assert result.charged == D("33") and not result.repeated and len(result.bought) == 3
    assert set(Subscription.objects.filter(account=buyer).values_list("did_id", flat=True)) == {d.pk for d in three}
    assert Account.objects.get(pk=buyer.pk).balance.amount == D("67") == ledger_sum(buyer.pk)
    again = purchase_many(buyer_id=buyer.pk, expected=shown(three), purchase_key=key)  # a double submit
    assert again.repeated and again.charged == D("33")
    assert Account.objects.get(pk=buyer.pk).balance.amount == D("67")
    assert Subscription.objects.filter(account=buyer).count() == 3


def test_one_sold_to_someone_else_meanwhile_buys_none(three):
    buyer, other = funded("100"), funded("100")
    purchase_did(buyer_id=other.pk, did_id=three[1].pk, purchase_key="other")
    with pytest.raises(PurchaseRefused, match="someone else.*Nothing was bought"):
        purchase_many(buyer_id=buyer.pk, expected=shown(three), purchase_key=uuid.uuid4().hex)
    assert not Subscription.objects.filter(account=buyer).exists()
    assert Account.objects.get(pk=buyer.pk).balance.amount == 100
    assert DID.objects.filter(holder__isnull=True).count() == 2


def test_funds_short_for_the_total_buys_none(three):
    buyer = funded("30")  # enough for two of the three
    with pytest.raises(PurchaseRefused, match="these 3 DIDs need 33.0000 USD together.*30.0000 available"):
        purchase_many(buyer_id=buyer.pk, expected=shown(three), purchase_key=uuid.uuid4().hex)
    assert not Subscription.objects.filter(account=buyer).exists()
    assert LedgerEntry.objects.filter(account=buyer).count() == 1  # the refill only


def test_a_price_changed_after_the_page_buys_none(three):
    buyer = funded("100")
    page = shown(three)
    DID.objects.filter(pk=three[2].pk).update(monthly_fee=D("12"))
    with pytest.raises(PurchaseRefused, match="changed a moment ago.*Nothing was bought"):
        purchase_many(buyer_id=buyer.pk, expected=page, purchase_key=uuid.uuid4().hex)
    assert not Subscription.objects.filter(account=buyer).exists()
    assert Account.objects.get(pk=buyer.pk).balance.amount == 100


def test_from_a_reseller_credits_the_seller_for_each(three):
    reseller = funded("100")
    for i, did in enumerate(three):
        purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key=f"r{i}", sell_setup_fee=D("2"),
                     sell_price=D("20"))
    customer = funded("100", kind=Account.Kind.CUSTOMER, parent=Account.objects.get(pk=reseller.pk), name="C")
    result = purchase_many(buyer_id=customer.pk, expected={d.pk: (D("2"), D("20")) for d in three[:2]},
                           purchase_key=uuid.uuid4().hex)
    assert result.charged == D("44")
    assert Account.objects.get(pk=reseller.pk).balance.amount == D("67") + D("44") == ledger_sum(reseller.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_buyers_race_for_overlapping_sets_one_set_is_bought_whole():
    for _ in range(3):  # fresh DIDs each round, so a lucky schedule cannot hide a bug
        dids = [DIDFactory(setup_fee="1", monthly_fee="10") for _ in range(3)]
        first, second = funded("100"), funded("100")
        calls = [
            lambda: purchase_many(buyer_id=first.pk, expected=shown(dids[:2]), purchase_key=uuid.uuid4().hex),
            lambda: purchase_many(buyer_id=second.pk, expected=shown(dids[1:]), purchase_key=uuid.uuid4().hex),
        ]
        outcomes = race(calls)
        assert all(isinstance(o, (ManyResult, PurchaseRefused)) for o in outcomes), outcomes
        wins = [o for o in outcomes if isinstance(o, ManyResult)]
        assert len(wins) == 1  # the shared DID goes to one buyer, with its whole set
        for buyer in (first, second):
            held = Subscription.objects.filter(account=buyer).count()
            assert held in (0, 2)
            assert Account.objects.get(pk=buyer.pk).balance.amount == D(100 - 11 * held) == ledger_sum(buyer.pk)
        assert Subscription.objects.filter(did=dids[1]).count() == 1
