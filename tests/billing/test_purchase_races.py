"""Concurrent purchases on PostgreSQL: threads released together by a Barrier
call purchase_did at once. We assert invariants (one holder, one charge, the
right balances and ledgers), never a particular interleaving, and repeat each
race a few rounds with fresh DIDs so a lucky schedule cannot hide a bug."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry, Subscription
from billing.prices.book import set_sell_cost
from billing.subscriptions.purchase import PurchaseRefused, PurchaseResult, purchase_did
from billing.subscriptions.purchase_keys import new_purchase_key, verify_purchase_key
from core.money import money
from dids.models import DID
from tests.factories import DIDFactory, make_account_user, make_admin
from tests.races import race

ROUNDS = 3
D = Decimal


def page_key(buyer_id, did_id) -> str:
    """The key the Purchase page posts, as the view hands it to purchase_did: the
    verified unique part of the signed key (the signed key itself is longer than
    the 64 characters Subscription.purchase_key holds)."""
    signed = new_purchase_key(buyer_id=buyer_id, did_id=did_id, setup_fee=0, price=0)
    return verify_purchase_key(signed, buyer_id=buyer_id, did_id=did_id).key


def buy(buyer_id, did_id, key=None):
    return lambda: purchase_did(buyer_id=buyer_id, did_id=did_id, purchase_key=key or page_key(buyer_id, did_id))


def split(outcomes):
    """(successes, refusals); anything else (a deadlock, a DataError...) fails the test."""
    unexpected = [o for o in outcomes if not isinstance(o, (PurchaseResult, PurchaseRefused))]
    assert not unexpected, f"unexpected errors: {unexpected!r}"
    wins = [o for o in outcomes if isinstance(o, PurchaseResult)]
    return wins, [o for o in outcomes if isinstance(o, PurchaseRefused)]


def funded(amount, **kwargs) -> Account:
    account = make_account_user(**kwargs).account
    add_funds(account_id=account.pk, amount=D(amount))
    return account


def assert_ledger(account_id, *, balance, entries):
    """The balance, the sum of the ledger and the number of entries are as expected."""
    account = Account.objects.get(pk=account_id)
    assert account.balance.amount == D(balance) == ledger_sum(account_id)
    assert LedgerEntry.objects.filter(account_id=account_id).count() == entries
    seqs = list(LedgerEntry.objects.filter(account_id=account_id).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, entries + 1))  # an unbroken chain, no fork


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the threads must see committed rows
def test_eight_resellers_race_for_one_did():
    resellers = [funded("100") for _ in range(8)]
    balances = {r.pk: D("100") for r in resellers}
    entries = {r.pk: 1 for r in resellers}
    for _ in range(ROUNDS):
        did = DIDFactory(setup_fee=money(5), monthly_fee=money(20))
        wins, refusals = split(race([buy(r.pk, did.pk) for r in resellers]))

        assert len(wins) == 1 and len(refusals) == 7
        assert all("bought by someone else" in str(r) for r in refusals), refusals
        winner = wins[0].subscription.account_id
        assert wins[0].charged == D("25.0000") and not wins[0].repeated
        assert DID.objects.get(pk=did.pk).holder_id == winner
        assert Subscription.objects.filter(did=did, status="active").count() == 1
        assert Subscription.objects.filter(did=did).count() == 1
        charges = LedgerEntry.objects.filter(did=did)
        assert charges.filter(kind=LedgerEntry.Kind.DID_PRICE).count() == 1
        assert charges.filter(kind=LedgerEntry.Kind.SETUP_FEE).count() == 1
        assert charges.count() == 2 and set(charges.values_list("account_id", flat=True)) == {winner}
        balances[winner] -= 25
        entries[winner] += 2
        for r in resellers:  # the winner paid once; the seven others are untouched
            assert_ledger(r.pk, balance=balances[r.pk], entries=entries[r.pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the threads must see committed rows
def test_one_reseller_buys_ten_dids_with_funds_for_three():
    for _ in range(ROUNDS):
        reseller = funded("10.00")
        dids = [DIDFactory(setup_fee=money(0), monthly_fee=money(3)) for _ in range(10)]
        wins, refusals = split(race([buy(reseller.pk, d.pk) for d in dids]))

        assert len(wins) == 3 and len(refusals) == 7
        assert all("Insufficient funds" in str(r) for r in refusals), refusals
        assert Subscription.objects.filter(account=reseller).count() == 3
        assert DID.objects.filter(holder=reseller).count() == 3
        # No setup fee (0): one DID_PRICE entry per DID bought, after the refill.
        assert LedgerEntry.objects.filter(account=reseller, kind=LedgerEntry.Kind.DID_PRICE).count() == 3
        assert not LedgerEntry.objects.filter(account=reseller, kind=LedgerEntry.Kind.SETUP_FEE).exists()
        assert_ledger(reseller.pk, balance="1.0000", entries=4)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the threads must see committed rows
def test_the_same_purchase_posted_twice_at_once_charges_once():
    reseller = funded("100")
    for round_ in range(ROUNDS):
        did = DIDFactory(setup_fee=money(5), monthly_fee=money(20))
        key = page_key(reseller.pk, did.pk)  # one page view, posted twice
        first, second = split(race([buy(reseller.pk, did.pk, key), buy(reseller.pk, did.pk, key)]))[0]

        assert first.subscription.pk == second.subscription.pk
        assert sorted([first.repeated, second.repeated]) == [False, True]
        assert first.charged == second.charged == D("25.0000")
        assert Subscription.objects.filter(did=did).count() == 1
        assert LedgerEntry.objects.filter(did=did).count() == 2  # setup fee + price, once
        assert_ledger(reseller.pk, balance=100 - 25 * (round_ + 1), entries=1 + 2 * (round_ + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the threads must see committed rows
def test_two_customers_race_for_their_resellers_did():
    reseller = funded("100")
    customers = [funded("100", kind=Account.Kind.CUSTOMER, parent=reseller) for _ in range(2)]
    balances = {c.pk: D("100") for c in customers}
    entries = {c.pk: 1 for c in customers}
    reseller_balance, reseller_entries = D("100"), 1
    for _ in range(ROUNDS):
        did = DIDFactory(setup_fee=money(5), monthly_fee=money(20))
        # The reseller buys it from the operator (25) and sells it on at 2 + 30.
        purchase_did(buyer_id=reseller.pk, did_id=did.pk, sell_setup_fee=D("2"), sell_price=D("30"),
                     purchase_key=page_key(reseller.pk, did.pk))
        reseller_balance, reseller_entries = reseller_balance - 25, reseller_entries + 2

        wins, refusals = split(race([buy(c.pk, did.pk) for c in customers]))

        assert len(wins) == 1 and len(refusals) == 1
        assert "bought by someone else" in str(refusals[0])
        winner = wins[0].subscription.account_id
        assert wins[0].charged == D("32.0000")
        assert Subscription.objects.filter(did=did, status="active").count() == 2  # reseller + one customer
        assert Subscription.objects.get(did=did, account_id=winner).parent.account_id == reseller.pk
        assert DID.objects.get(pk=did.pk).holder_id == reseller.pk  # the top-level holder stays
        sales = LedgerEntry.objects.filter(did=did, kind=LedgerEntry.Kind.SALE)
        assert sales.count() == 1  # the reseller is credited exactly once
        assert sales.get().account_id == reseller.pk and sales.get().amount.amount == D("32")
        balances[winner] -= 32
        entries[winner] += 2
        reseller_balance, reseller_entries = reseller_balance + 32, reseller_entries + 1
        assert_ledger(reseller.pk, balance=reseller_balance, entries=reseller_entries)
        for c in customers:
            assert_ledger(c.pk, balance=balances[c.pk], entries=entries[c.pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the threads must see committed rows
def test_a_price_change_racing_a_purchase_never_charges_a_price_the_buyer_did_not_see():
    """The buyer saw 5 + 20 and posts; at the same moment the admin sets its
    override to 1 + 5. Either the purchase went first (charged 25, the override
    applies from the next renewal) or the change did (refused, nothing charged)."""
    admin = make_admin()
    buyer = funded("1000")
    balance, entries = D("1000"), 1
    for round_ in range(ROUNDS * 2):
        did = DIDFactory(setup_fee=money(5), monthly_fee=money(20), buy_cost=money(1))
        key = page_key(buyer.pk, did.pk)
        change = lambda: set_sell_cost(did_id=did.pk, seller_id=None, buyer_id=buyer.pk, setup_fee=D("1"),
                                       price=D("5"), by=admin)
        shown = lambda: purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key=key,
                                     expected=(D("5"), D("20")))
        changed, bought = race([change, shown])

        assert changed is True
        if isinstance(bought, PurchaseResult):
            assert bought.charged == D("25.0000")
            balance, entries = balance - 25, entries + 2
        else:
            assert isinstance(bought, PurchaseRefused) and "changed a moment ago" in str(bought), bought
            assert not Subscription.objects.filter(did=did).exists()
        assert_ledger(buyer.pk, balance=balance, entries=entries)
