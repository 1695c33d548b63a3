"""GET /routing/lookup: the answer for each case, in at most 2 queries, and nothing
about the holders beyond what the switch needs."""

import json

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.utils import timezone

from accounts.models import Account
from billing.models import Subscription
from billing.subscriptions.release import release_did
from dids.models import DID
from routing import lookup
from tests.factories import DIDFactory
from tests.routing.conftest import DESTINATION, NUMBER, set_destination

REFUSED = {"call_type": None, "destination": None, "call_timeout": None, "concurrent_calls": None}


def answer(response) -> dict:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def refused(number, reason) -> dict:
    return {"number": number, "allow": False, "reason": reason, **REFUSED}


# --- allowed -------------------------------------------------------------------------

@pytest.mark.parametrize("call_type, destination", [
    ("sip_uri", "sip:alice@pbx.example.com"),
    ("sip_uri", "sip:1001@[2001:db8::1]:5060"),
    ("sip_device", "1001"),
    ("pstn", "+442079460958"),
])
def test_allowed_answer_for_each_call_type(ask, chain, call_type, destination):
    set_destination(chain["bottom"], call_type, destination)
    assert answer(ask("18555801802")) == {
        "number": NUMBER, "allow": True, "reason": None, "call_type": call_type, "destination": destination,
        "call_timeout": 45, "concurrent_calls": 2,
    }


def test_the_bottom_of_the_chain_routes_the_calls(ask, chain):
    """The reseller's own destination is ignored while its customer uses the number."""
    assert answer(ask(NUMBER))["destination"] == DESTINATION


def test_a_top_level_holder_routes_its_own_calls(ask, db):
    from billing.subscriptions.purchase import purchase_did
    from tests.factories import make_account_user

    did = DIDFactory(number="+442079460000", setup_fee="0", monthly_fee="0", concurrent_calls=0)
    holder = make_account_user(name="Solo").account
    sub = purchase_did(buyer_id=holder.pk, did_id=did.pk, purchase_key="solo").subscription
    set_destination(sub, "sip_device", "alice")
    data = answer(ask("00442079460000"))
    assert (data["allow"], data["destination"], data["call_timeout"], data["concurrent_calls"]) == (True, "alice", 30, 0)


# --- each refusal -------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["abc", "+0123", "", "sip:alice@pbx.example.com", "1" * 16])
def test_invalid_number(ask, chain, raw):
    assert answer(ask(raw)) == refused(None, "invalid_number")


def test_unknown_number(ask, chain):
    assert answer(ask("+18555801803")) == refused("+18555801803", "unknown_number")


def test_inactive_did_even_when_held(ask, chain):
    DID.objects.filter(pk=chain["did"].pk).update(status=DID.Status.INACTIVE)
    assert answer(ask(NUMBER)) == refused(NUMBER, "inactive")


def test_no_holder(ask, db):
    DIDFactory(number="+18555801804")
    assert answer(ask("+18555801804")) == refused("+18555801804", "no_holder")


def test_no_holder_after_release(ask, chain):
    release_did(did_id=chain["did"].pk, account_id=chain["customer"].pk)
    release_did(did_id=chain["did"].pk, account_id=chain["reseller"].pk)
    assert answer(ask(NUMBER)) == refused(NUMBER, "no_holder")


@pytest.mark.parametrize("level", ["top", "bottom"])
def test_suspended_when_a_renewal_failed_at_any_level(ask, chain, level):
    Subscription.objects.filter(pk=chain[level].pk).update(suspended_at=timezone.now(), grace_until=timezone.now())
    assert answer(ask(NUMBER)) == refused(NUMBER, "suspended")


def test_suspended_when_the_account_using_it_is_suspended(ask, chain):
    Account.objects.filter(pk=chain["customer"].pk).update(status=Account.Status.SUSPENDED)
    assert answer(ask(NUMBER)) == refused(NUMBER, "suspended")


def test_a_suspended_reseller_above_does_not_stop_its_customers_calls(ask, chain):
    """Suspending a reseller leaves its customers' numbers to the billing rules (issue 16)."""
    Account.objects.filter(pk=chain["reseller"].pk).update(status=Account.Status.SUSPENDED)
    assert answer(ask(NUMBER))["destination"] == DESTINATION


def test_no_destination_at_the_bottom_even_if_the_seller_has_one(ask, chain):
    set_destination(chain["bottom"], "", "")
    assert answer(ask(NUMBER)) == refused(NUMBER, "no_destination")


@pytest.mark.parametrize("destination", [
    "sip:a@b.example,sofia/gateway/premium/0900123", "sip:a@b.example|user/1000", "${system(rm -rf /)}",
    "sip:a@b.example;transport=tcp", "sip:a b@c.example", "sip:a@b.example\n", '"/><x a="',
])
def test_a_destination_a_switch_could_misread_is_refused(ask, chain, destination):
    """routing/destinations.py never stores these; the lookup does not trust that alone."""
    set_destination(chain["bottom"], "sip_uri", destination)
    assert answer(ask(NUMBER)) == refused(NUMBER, "invalid_destination")


def test_reasons_come_in_order():
    """An inactive DID is "inactive" even when suspended and without destination, and so on."""
    rows = [("inactive", 30, 0, 1, None, "", "", "2026-01-01", "suspended")]
    assert lookup.decide(NUMBER, rows).reason == "inactive"
    rows = [("active", 30, 0, None, None, None, None, None, None)]
    assert lookup.decide(NUMBER, rows).reason == "no_holder"
    rows = [("active", 30, 0, 1, None, "", "", "2026-01-01", "active")]
    assert lookup.decide(NUMBER, rows).reason == "suspended"


def test_missing_number_is_a_failed_lookup_not_a_refusal(client, token):
    response = client.get("/routing/lookup", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400 and "error" in response.json()


def test_post_is_not_allowed(client, token, chain):
    response = client.post("/routing/lookup", {"number": NUMBER}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405


# --- cost ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["allowed", "suspended", "unknown", "invalid"])
def test_at_most_two_queries_and_no_session_or_user(ask, chain, case, django_assert_max_num_queries):
    if case == "suspended":
        Account.objects.filter(pk=chain["reseller"].pk).update(status=Account.Status.SUSPENDED)
    number = {"unknown": "+18555801809", "invalid": "x"}.get(case, NUMBER)
    with django_assert_max_num_queries(2), CaptureQueriesContext(connection) as queries:
        response = ask(number)
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries).lower()
    assert "django_session" not in sql and "accounts_user" not in sql
    assert not response.cookies  # no session was started


# --- another tenant's DID -----------------------------------------------------------

@pytest.mark.parametrize("case", ["suspended", "no_destination", "inactive", "invalid_destination"])
def test_a_refusal_says_nothing_about_the_holders(ask, chain, case):
    if case == "suspended":
        Account.objects.filter(pk=chain["customer"].pk).update(status=Account.Status.SUSPENDED)
    elif case == "no_destination":
        set_destination(chain["bottom"], "", "")
    elif case == "inactive":
        DID.objects.filter(pk=chain["did"].pk).update(status=DID.Status.INACTIVE)
    else:
        set_destination(chain["bottom"], "sip_uri", "sip:carol@pbx.example.com,user/1000")
    body = ask(NUMBER).content.decode()
    assert json.loads(body) == refused(NUMBER, case)
    for secret in ("pbx.", "alice", "carol", "reseller@", "Reseller One", "Customer Carol",
                   chain["reseller"].number, chain["customer"].number):
        assert secret.lower() not in body.lower(), secret


def test_an_allowed_answer_has_no_account_data(ask, chain):
    data = answer(ask(NUMBER))
    assert set(data) == {"number", "allow", "reason", "call_type", "destination", "call_timeout", "concurrent_calls"}
    body = json.dumps(data)
    for secret in ("Reseller One", "Customer Carol", chain["reseller"].number, chain["customer"].number, "reseller@"):
        assert secret not in body
