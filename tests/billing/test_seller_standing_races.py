"""A customer's purchase from its reseller racing what stops the reseller selling, on PostgreSQL
(billing/subscriptions/sellable.py; the harness of test_purchase_races.py).

Either the purchase commits first, and the billing run or the suspension comes after it (the
customer bought before, the books agree), or the other commits first and the purchase is refused
with the reason, nothing written. Never a customer charged for a DID whose seller holding is in
grace, or whose seller is suspended, when its purchase commits. Which came first is read from the
audit trail: each side writes its row while holding the row the other must lock too (the DID for
the billing run, the reseller's account for a suspension), so the order of the ids is the order of
the commits. Many rounds, fresh accounts and DIDs each, so a lucky schedule cannot hide a bug."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from accounts.services import account_set_status
from audit.models import AuditEntry
from billing.ledger.checks import balance_mismatches
from billing.ledger.funds import add_funds
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.purchase import PurchaseRefused, PurchaseResult, purchase_did
from billing.subscriptions.renewals import RunReport, run_billing
from dids.models import DID
from tests.factories import DIDFactory, make_account_user
from tests.races import race

ROUNDS = 15
D = Decimal


def funded(amount: str, **kwargs) -> Account:
    account = make_account_user(**kwargs).account
    add_funds(account_id=account.pk, amount=D(amount))
    return account


def buy(account: Account, did: DID, now=None, **sell):
    return lambda: purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=uuid.uuid4().hex, now=now, **sell)


def balance(account: Account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance.amount


def audit_id(action: str, **where) -> int | None:
    return AuditEntry.objects.filter(action=action, **where).values_list("pk", flat=True).first()


def assert_books_agree(*accounts: Account) -> None:
    assert balance_mismatches() == []  # check_ledger: balance == sum of entries, every account
    for account in accounts:
        assert balance(account) == ledger_sum(account.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the threads must see committed rows
def test_a_purchase_racing_the_billing_run_that_suspends_its_sellers_holding():
    """The reseller bought the DID 31 days ago at 10 and sells it at 10; the operator's price is 25
    now, more than the reseller has even with its customer's payment, so the run puts its holding
    in grace."""
    outcomes = {"bought first": 0, "refused": 0}
    for _ in range(ROUNDS):
        now = timezone.now()
        did = DIDFactory(setup_fee="0", monthly_fee="10", billing_days=30)
        reseller = funded("10")
        buy(reseller, did, now - timedelta(days=31), sell_setup_fee=D("0"), sell_price=D("10"))()
        DID.objects.filter(pk=did.pk).update(monthly_fee=D("25"))
        customer = funded("100", kind=Account.Kind.CUSTOMER, parent=reseller)
        holding = Subscription.objects.get(did=did, account=reseller, status="active")

        ran, bought = race([lambda: run_billing(now=now), buy(customer, did)])
        assert isinstance(ran, RunReport), ran
        run_billing(now=now)  # the DID, if the race's run skipped it while the purchase held it
        holding.refresh_from_db()
        assert holding.is_suspended  # whoever went first, the reseller's renewal is unpaid
        suspended_at = audit_id("subscription.suspended", object_id=holding.pk)
        bought_at = audit_id("subscription.purchased", account=customer)

        if isinstance(bought, PurchaseResult):
            outcomes["bought first"] += 1
            assert bought.charged == D("10.0000") and bought_at < suspended_at
            assert balance(customer) == D("90") and balance(reseller) == D("10")  # 10 - 10 + 10: short of 25
            sale = LedgerEntry.objects.get(account=reseller, kind=LedgerEntry.Kind.SALE)
            assert sale.subscription_id == bought.subscription.pk and sale.amount.amount == D("10")
            assert Subscription.objects.get(did=did, account=customer).parent_id == holding.pk
        else:
            outcomes["refused"] += 1
            assert isinstance(bought, PurchaseRefused), bought
            assert str(bought) == (f"DID {did.shown} cannot be bought now: "
                                   "its seller's subscription is unpaid (in grace).")
            assert bought_at is None and not Subscription.objects.filter(account=customer).exists()
            assert balance(customer) == D("100") and balance(reseller) == D("0")
            assert not LedgerEntry.objects.filter(account=reseller, kind=LedgerEntry.Kind.SALE).exists()
        assert not LedgerEntry.objects.filter(subscription=holding, kind=LedgerEntry.Kind.RENEWAL).exists()
        assert_books_agree(reseller, customer)
    print(outcomes)  # pytest -s: how often each side won


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the threads must see committed rows
def test_a_purchase_racing_the_suspension_of_its_seller():
    outcomes = {"bought first": 0, "refused": 0}
    for _ in range(ROUNDS):
        did = DIDFactory(setup_fee="1", monthly_fee="10")
        reseller = funded("100")
        buy(reseller, did, sell_setup_fee=D("2"), sell_price=D("12"))()
        customer = funded("100", kind=Account.Kind.CUSTOMER, parent=reseller)

        suspended, bought = race([
            lambda: account_set_status(account_id=reseller.pk, status=Account.Status.SUSPENDED), buy(customer, did)])
        assert isinstance(suspended, Account) and not suspended.is_active, suspended
        suspended_at = audit_id("account.suspended", account=reseller)
        bought_at = audit_id("subscription.purchased", account=customer)

        if isinstance(bought, PurchaseResult):
            outcomes["bought first"] += 1
            assert bought.charged == D("14.0000") and bought_at < suspended_at
            assert balance(customer) == D("86") and balance(reseller) == D("100") - 11 + 14
        else:
            outcomes["refused"] += 1
            assert isinstance(bought, PurchaseRefused), bought
            assert str(bought) == f"DID {did.shown} cannot be bought now: your seller's account is suspended."
            assert bought_at is None and not Subscription.objects.filter(account=customer).exists()
            assert balance(customer) == D("100") and balance(reseller) == D("89")
        assert_books_agree(reseller, customer)
    print(outcomes)
