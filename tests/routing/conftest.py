"""A DID sold down a chain (Reseller One -> its customer), a switch token, and a
client that asks like a switch (no session, no login)."""

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.models import Subscription
from billing.subscriptions.purchase import purchase_did
from routing.tokens import create_token
from tests.factories import DIDFactory, make_account_user

NUMBER = "+18555801802"
DESTINATION = "sip:alice@pbx.example.com"


@pytest.fixture
def token(db):
    return create_token("fs1.example.net")[1]


@pytest.fixture
def chain(db):
    """DID +18555801802 (timeout 45 s, 2 concurrent calls), bought by a reseller and sold on to its
    customer, whose destination is set; the reseller has a destination of its own too."""
    did = DIDFactory(number=NUMBER, setup_fee="0", monthly_fee="0", call_timeout=45, concurrent_calls=2)
    reseller = make_account_user(name="Reseller One").account
    customer = make_account_user(Account.Kind.CUSTOMER, parent=reseller, name="Customer Carol").account
    top = purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key="r1").subscription
    bottom = purchase_did(buyer_id=customer.pk, did_id=did.pk, purchase_key="c1").subscription
    Subscription.objects.filter(pk=top.pk).update(call_type="sip_uri", destination="sip:reseller@pbx.reseller.example")
    set_destination(bottom, "sip_uri", DESTINATION)
    return dict(did=did, reseller=reseller, customer=customer, top=top, bottom=bottom)


def set_destination(subscription, call_type, destination):
    Subscription.objects.filter(pk=subscription.pk).update(call_type=call_type, destination=destination)


@pytest.fixture
def ask(client, token):
    """ask(number) -> the response of GET /routing/lookup with the switch's token."""
    def ask(number, **headers):
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {token}")
        return client.get(reverse("routing:lookup"), {"number": number}, **headers)
    return ask
