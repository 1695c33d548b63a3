"""The purchase's eight statements (tests/billing/test_purchase_statements.py) stay eight when
nobody listens: whether an endpoint waits is read by the account lock the purchase runs anyway.
With an endpoint (the buyer's, the seller's or the operator's) three follow the audit row: its
endpoints, the event, the deliveries."""

import uuid

import pytest

from accounts.models import Account
from billing.subscriptions.purchase import purchase_did
from tests.billing.test_purchase_statements import FROM_A_RESELLER, FROM_THE_OPERATOR, buy, funded, statements_of
from tests.factories import DIDFactory, make_admin
from tests.webhooks.helpers import hook
from webhooks.models import Event

pytestmark = pytest.mark.django_db

WITH_AN_ENDPOINT = ["SELECT webhooks_endpoint", "INSERT webhooks_event", "INSERT webhooks_delivery"]


def with_hooks(statements):
    return statements[:-1] + WITH_AN_ENDPOINT + statements[-1:]


def shape(statements):
    """test_purchase_statements' shapes, with a plain SELECT as such on every database."""
    return [s.replace("LOCK webhooks_endpoint", "SELECT webhooks_endpoint") for s in statements]


def test_nobody_listening_eight_statements_even_when_others_listen():
    hook(make_admin(), events=["did.released"])  # the operator listens, but not to purchases
    hook(_user(funded()))  # another account listens to everything
    buyer = funded()
    purchase_did(buyer_id=buyer.pk, did_id=DIDFactory().pk, purchase_key=uuid.uuid4().hex)
    assert shape(statements_of(buy(buyer, DIDFactory()))) == FROM_THE_OPERATOR
    assert not Event.objects.exists()


def _user(account):
    return account.user


def test_the_buyers_endpoint_adds_three_statements():
    buyer = funded()
    hook(_user(buyer), events=["did.purchased"])
    purchase_did(buyer_id=buyer.pk, did_id=DIDFactory().pk, purchase_key=uuid.uuid4().hex)
    assert shape(statements_of(buy(buyer, DIDFactory()))) == with_hooks(FROM_THE_OPERATOR)
    assert Event.objects.count() == 2


def test_the_operators_endpoint_hears_a_purchase_from_its_pool():
    hook(make_admin(), events=["did.purchased"])
    buyer = funded()
    assert shape(statements_of(buy(buyer, DIDFactory()))) == with_hooks(FROM_THE_OPERATOR)


def test_the_resellers_endpoint_hears_its_customers_purchase():
    reseller = funded()
    customer = funded(kind=Account.Kind.CUSTOMER, parent=reseller)
    dids = [DIDFactory() for _ in range(2)]
    for did in dids:
        buy(reseller, did)()
    buy(customer, dids[0])()
    hook(_user(reseller), events=["did.purchased"])
    assert shape(statements_of(buy(customer, dids[1]))) == with_hooks(FROM_A_RESELLER)
    assert Event.objects.get().account_id == customer.pk
