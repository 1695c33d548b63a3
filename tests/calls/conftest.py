"""A DID with DESIGN.md's example rates held by a reseller, for the CDR import tests."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from core.money import money
from tests.factories import DIDFactory, make_account_user

BOUGHT = timezone.make_aware(timezone.datetime(2026, 11, 2, 8, 0))  # UTC


@pytest.fixture
def held(db):
    """(did, reseller): Connection 0.05, Grace 10 s, Cost/Min 0.60, Initial 30 s, Increment 6 s
    (47 s -> 0.4700, 62 s -> 0.5900, 300 s -> 2.9900), bought at BOUGHT."""
    did = DIDFactory(connection_cost=money(Decimal("0.05")), grace_time=10, cost_per_min=money(Decimal("0.60")),
                     initial_increment=30, increment=6)
    reseller = make_account_user(Account.Kind.RESELLER).account
    add_funds(account_id=reseller.pk, amount=Decimal("100"))
    purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key=f"k-{did.pk}", now=BOUGHT)
    return did, reseller


def after_purchase(hours: float):
    """A naive UTC time this long after the purchase (what a switch on UTC writes)."""
    return (BOUGHT + timedelta(hours=hours)).replace(tzinfo=None)


def balance(account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance.amount
