"""Helpers of the notices tests: accounts with an e-mail address and money, purchases on a clock."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from notices.models import Notice
from tests.factories import make_account_user

D = Decimal
T0 = timezone.make_aware(timezone.datetime(2026, 11, 1, 9, 0))


def days(n) -> timezone.datetime:
    return T0 + timedelta(days=n)


def funded(amount="100", kind=Account.Kind.RESELLER, parent=None, threshold=None, email=True) -> Account:
    user = make_account_user(kind, parent=parent, low_balance_threshold=threshold)
    account = user.account
    if email:
        account.email = f"{kind}{account.pk}@example.com"
        Account.objects.filter(pk=account.pk).update(email=account.email)
    if D(amount):
        add_funds(account_id=account.pk, amount=D(amount))
    return Account.objects.get(pk=account.pk)


def buy(account, did, now=T0, **sell):
    return purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=f"k{account.pk}-{did.pk}-{now.timestamp()}",
                        now=now, **sell).subscription


def notices_of(account, kind=None) -> list[Notice]:
    found = Notice.objects.filter(account=account)
    return list(found.filter(kind=kind) if kind else found)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a call with its after-commit callbacks (the e-mails) executed, as a real commit would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run
