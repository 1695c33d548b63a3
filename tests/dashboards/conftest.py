"""A small hand-built world for the dashboards, every figure known in advance.

Operator pool: d4, d5 (free, Active), d6 (Inactive).
R1 Telecom (reseller, 1000.0000 in): buys d1 (setup 5.0000 + 20.5000 / 28 days, Buy Cost 1.2500) and sells it on
    to C Customer at 26.7500 (setup 5.0000); buys d2 (10.0000 / 30 days, Buy Cost 2.0000), keeps it. One call
    charge of 0.5000 posted to it (the operator's call revenue).
R2 Other (reseller, 25.0000 in, low-balance alert below 500): buys d3 and d7 (10.0000 / 30 days, Buy Cost 0.5000
    each): 5.0000 left, short for both renewals; d7's renewal failed (in grace: suspended).
C Customer (customer under R1, 100.0000 in): holds d1; a call today charged 0.8000 to it (0.5000 to R1).
"""

import itertools
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.ledger.posting import lock_accounts, post
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.purchase import purchase_did
from calls.models import Call, CallCharge, CallImport
from dids.models import DID
from tests.factories import DIDFactory, make_account_user

D = Decimal
_keys = itertools.count()


def buy(user, did, sell_price=None):
    return purchase_did(buyer_id=user.account_id, did_id=did.pk, purchase_key=f"dash-{next(_keys)}",
                        sell_price=None if sell_price is None else D(sell_price)).subscription


def funded(name, amount, kind=Account.Kind.RESELLER, parent=None, **fields):
    user = make_account_user(kind=kind, parent=parent, name=name, **fields)
    add_funds(account_id=user.account_id, amount=D(amount))
    return user


def did(number, **fields):
    values = dict(setup_fee="0", monthly_fee="10.0000", buy_cost="0.5000", billing_days=30) | fields
    return DIDFactory(number=number, **values)


@pytest.fixture
def dash(db):
    r1 = funded("R1 Telecom", "1000")
    r2 = funded("R2 Other", "25", low_balance_threshold=D("500"))
    c = funded("C Customer", "100", kind=Account.Kind.CUSTOMER, parent=r1.account)
    d1 = did("+12025550101", setup_fee="5.0000", monthly_fee="20.5000", buy_cost="1.2500", billing_days=28)
    d2 = did("+12025550102", buy_cost="2.0000")
    d3, d7 = did("+12025550103"), did("+12025550107")
    did("+12025550104"), did("+12025550105"), did("+12025550106", status=DID.Status.INACTIVE)
    buy(r1, d1, sell_price="26.7500")
    buy(c, d1)
    buy(r1, d2)
    buy(r2, d3)
    suspended = buy(r2, d7)
    Subscription.objects.filter(pk=suspended.pk).update(grace_until=timezone.now() + timedelta(days=40))
    with transaction.atomic():
        account = lock_accounts([r1.account_id])[r1.account_id]
        post(account=account, amount=D("-0.5000"), kind=LedgerEntry.Kind.CALL_CHARGES, description="Call charges")
    now = timezone.now()
    batch = CallImport.objects.create(source=CallImport.Source.COMMAND)
    today = Call.objects.create(call_id="today-1", did=d1, started_at=now - timedelta(seconds=5), billsec=60,
                                import_batch=batch)
    CallCharge.objects.create(call=today, account=r1.account, level=1, amount=D("0.5000"), started_at=today.started_at)
    CallCharge.objects.create(call=today, account=c.account, seller=r1.account, level=2, amount=D("0.8000"),
                              started_at=today.started_at)
    local_midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    Call.objects.create(call_id="yesterday-1", did=d2, started_at=local_midnight - timedelta(hours=1), billsec=30,
                        import_batch=batch)
    return SimpleNamespace(r1=r1, r2=r2, c=c, d1=d1, d2=d2, d3=d3, d7=d7, now=now)


@pytest.fixture(autouse=True)
def _no_cached_months():
    """Each test sums its own ledger: no closed months left in the cache by another test."""
    cache.clear()
    yield
    cache.clear()
