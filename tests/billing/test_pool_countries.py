"""The countries of a buyer's pool (Buy DIDs' country dropdown): under the operator a skip scan of
the pool's index that must find exactly what SELECT DISTINCT over pool_for finds."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.pool import pool_countries, pool_for
from billing.subscriptions.purchase import purchase_did
from dids.models import DID
from tests.factories import DIDFactory, make_account_user

pytestmark = pytest.mark.django_db


def _distinct(account) -> set[str]:
    return set(pool_for(account).values_list("country", flat=True).distinct()) - {""}


def test_the_operators_pool_countries_are_those_of_pool_for():
    buyer = make_account_user(name="Top").account
    add_funds(account_id=buyer.pk, amount=100)
    for country in ("US", "US", "GB", "JP", "DE", ""):
        DIDFactory(country=country)
    DIDFactory(country="FR", status=DID.Status.INACTIVE)  # not for sale
    held = DIDFactory(country="BR")
    purchase_did(buyer_id=buyer.pk, did_id=held.pk, purchase_key=uuid.uuid4().hex)  # held: not in the pool
    with CaptureQueriesContext(connection) as queries:
        countries = pool_countries(buyer)
    assert countries == _distinct(buyer) == {"US", "GB", "JP", "DE"}
    assert len(queries) == 1


def test_an_empty_pool_has_no_countries():
    assert pool_countries(make_account_user(name="Top").account) == set()


def test_a_resellers_pool_countries_are_its_unsold_holdings():
    reseller = make_account_user(name="R").account
    add_funds(account_id=reseller.pk, amount=100)
    customer = make_account_user(Account.Kind.CUSTOMER, parent=reseller, name="C").account
    for country in ("JP", "GB"):
        purchase_did(buyer_id=reseller.pk, did_id=DIDFactory(country=country).pk, purchase_key=uuid.uuid4().hex)
    DIDFactory(country="US")  # the operator's, not the reseller's
    assert pool_countries(customer) == _distinct(customer) == {"JP", "GB"}
