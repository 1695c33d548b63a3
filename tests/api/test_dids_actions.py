"""What the DIDs page does with one number, through the API: release it, route its calls, set its
sell cost. The same services, rules and messages as the pages; audit rows say source API."""

from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from billing.models import PriceOverride, Subscription
from dids.models import DIDHistory
from tests.api.test_dids import held, url  # noqa: F401  (held is a fixture)

pytestmark = pytest.mark.django_db
D = Decimal


def holding(did, user):
    return Subscription.objects.filter(did=did, account=user.account, status="active").first()


def audit_rows(action):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


# --- release -----------------------------------------------------------------------------------

def test_release_ends_the_holding_as_the_page_does(people, held, api_as):
    r = people["reseller"]
    answer = api_as("reseller").post(url(held["own"].number, "api:did_release"))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"number": held["own"].number, "released": True,
                             "detail": f"Released {held['own'].shown}. No refund is given."}
    assert holding(held["own"], r) is None
    held["own"].refresh_from_db()
    assert held["own"].holder is None
    [row] = audit_rows("subscription.released")
    assert (row.source, row.actor_id) == ("api", r.pk)
    # Released: the number is no longer this account's (404 from now on).
    assert api_as("reseller").get(url(held["own"].number)).status_code == 404


def test_a_number_sold_on_cannot_be_released_with_the_pages_message(people, held, api_as):
    answer = api_as("reseller").post(url(held["sold"].number, "api:did_release"))
    assert answer.status_code == 422 and answer.json()["code"] == "refused"
    assert answer.json()["detail"] == (f"DID {held['sold'].shown} is sold on to {people['customer'].account}. "
                                       "It can be released once they release it.")
    assert holding(held["sold"], people["reseller"]) is not None and not audit_rows("subscription.released")


def test_release_takes_no_body_fields_and_no_get(people, held, api_as):
    answer = api_as("reseller").get(url(held["own"].number, "api:did_release"))
    assert answer.status_code == 405  # no state change by GET
    answer = api_as("reseller").post(url(held["own"].number, "api:did_release"), {"refund": True})
    assert answer.status_code == 422 and answer.json()["errors"] == {"refund": ["This field cannot be set."]}
    assert holding(held["own"], people["reseller"]) is not None


# --- destination -----------------------------------------------------------------------------

def test_setting_a_destination_normalises_it_and_is_audited(people, held, api_as):
    c = people["customer"]
    answer = api_as("customer").put(url(held["sold"].number, "api:did_destination"),
                                    {"call_type": "sip_uri", "destination": "Alice@PBX.Example.com:5060"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["destination"] == {"call_type": "sip_uri", "destination": "sip:Alice@pbx.example.com:5060"}
    sub = holding(held["sold"], c)
    assert (sub.call_type, sub.destination) == ("sip_uri", "sip:Alice@pbx.example.com:5060")
    [row] = [r for r in audit_rows("destination.set") if r.actor_id == c.pk and r.source == "api"]
    assert "sip:Alice@pbx.example.com:5060" in row.summary


def test_a_national_pstn_number_is_read_in_the_dids_country(people, held, api_as):
    answer = api_as("reseller").put(url(held["own"].number, "api:did_destination"),
                                    {"call_type": "pstn", "destination": "(415) 555-2671"})
    assert answer.status_code == 200 and answer.json()["destination"]["destination"] == "+14155552671"


@pytest.mark.parametrize("body, field, message", [
    ({"call_type": "sip_uri", "destination": ""}, "destination", "Enter the destination."),
    ({"call_type": "sip_uri"}, "destination", "Enter the destination."),
    ({"call_type": "fax", "destination": "1001"}, "call_type",
     "Select a valid choice. fax is not one of the available choices."),
    ({"destination": "1001"}, "call_type", "This field is required."),
    ({"call_type": "sip_uri", "destination": "sip:a@b.example;transport=tcp"}, "destination",
     "Only sip:user@host[:port]: no ;parameters, ?headers, quotes or < >."),
    ({"call_type": "sip_device", "destination": "x"}, "destination",
     "A SIP device or extension is 2 to 20 letters, digits, _ - or . (e.g. 1001 or alice)."),
])
def test_a_bad_destination_is_422_with_the_pages_message(people, held, api_as, body, field, message):
    answer = api_as("reseller").put(url(held["own"].number, "api:did_destination"), body)
    assert answer.status_code == 422 and answer.json()["code"] == "validation", answer.content
    assert answer.json()["errors"] == {field: [message]}
    assert holding(held["own"], people["reseller"]).destination == "sip:alice@pbx.example.com"


def test_the_destination_of_the_did_itself_is_a_loop(people, held, api_as):
    answer = api_as("reseller").put(url(held["own"].number, "api:did_destination"),
                                    {"call_type": "pstn", "destination": held["own"].number})
    assert answer.json()["errors"] == {"destination": ["That is this DID itself: its calls would loop."]}


def test_null_call_type_clears_the_destination(people, held, api_as):
    answer = api_as("reseller").put(url(held["own"].number, "api:did_destination"),
                                    {"call_type": None, "destination": None})
    assert answer.status_code == 200 and answer.json()["destination"] == {"call_type": None, "destination": None}
    assert holding(held["own"], people["reseller"]).call_type == ""


def test_a_number_sold_on_routes_where_its_buyer_says(people, held, api_as):
    answer = api_as("reseller").put(url(held["sold"].number, "api:did_destination"),
                                    {"call_type": "sip_device", "destination": "1001"})
    assert answer.status_code == 422 and answer.json()["code"] == "refused"
    assert answer.json()["detail"].startswith(f"DID {held['sold'].shown} is sold on to {people['customer'].account.name}")


def test_extra_fields_in_the_destination_body_are_refused(people, held, api_as):
    answer = api_as("reseller").put(url(held["own"].number, "api:did_destination"),
                                    {"call_type": "sip_device", "destination": "1001", "account": 1, "status": "x"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"account": ["This field cannot be set."], "status": ["This field cannot be set."]}
    assert holding(held["own"], people["reseller"]).call_type == "sip_uri"


# --- sell cost ---------------------------------------------------------------------------------

def test_a_reseller_sets_its_default_sell_cost(people, held, api_as):
    r = people["reseller"]
    answer = api_as("reseller").put(url(held["own"].number, "api:did_sell_cost"), {"setup_fee": "3", "price": "7.25"})
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"number": held["own"].number, "buyer": None, "setup_fee": "3.0000", "price": "7.2500",
                             "overridden": False, "changed": True}
    sub = holding(held["own"], r)
    assert (sub.sell_setup_fee.amount, sub.sell_price.amount) == (D("3"), D("7.25"))
    [row] = audit_rows("price.changed")
    assert (row.source, row.actor_id) == ("api", r.pk)
    assert DIDHistory.objects.filter(did=held["own"], action="price_changed").exists()
    again = api_as("reseller").put(url(held["own"].number, "api:did_sell_cost"), {"setup_fee": "3.0000",
                                                                                   "price": "7.2500"})
    assert again.json()["changed"] is False and len(audit_rows("price.changed")) == 1
    assert api_as("reseller").get(url(held["own"].number)).json()["sell_cost"] == {"setup_fee": "3.0000",
                                                                                    "price": "7.2500"}


def test_a_price_for_one_buyer(people, held, api_as):
    c = people["customer"]
    answer = api_as("reseller").put(url(held["sold"].number, "api:did_sell_cost"),
                                    {"setup_fee": "1", "price": "4.5", "buyer": c.account.number})
    assert answer.status_code == 200, answer.content
    assert answer.json()["buyer"] == c.account.number and answer.json()["overridden"] is True
    override = PriceOverride.objects.get(did=held["sold"], buyer=c.account)
    assert override.price.amount == D("4.5")


@pytest.mark.parametrize("buyer", ["other", "reseller", "0000000000", "garbage"])
def test_a_buyer_that_is_not_one_of_its_own_is_422(people, held, api_as, buyer):
    number = people[buyer].account.number if buyer in people else buyer
    answer = api_as("reseller").put(url(held["own"].number, "api:did_sell_cost"),
                                    {"setup_fee": "3", "price": "7", "buyer": number})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"buyer": ["Choose an account that buys from this seller."]}
    assert not PriceOverride.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"setup_fee": "2", "price": "4.9999"}, "price"),  # own buys at 2 + 5
    ({"setup_fee": "1.9999", "price": "5"}, "setup_fee"),
])
def test_below_its_own_cost_is_refused_with_edit_infos_message(people, held, api_as, body, field):
    answer = api_as("reseller").put(url(held["own"].number, "api:did_sell_cost"), body)
    assert answer.status_code == 422 and answer.json()["code"] == "refused"
    message = "A sell cost cannot be below the buy cost (setup fee 2.0000, price 5.0000)."
    assert answer.json()["errors"] == {field: [message]} and answer.json()["detail"] == message
    sub = holding(held["own"], people["reseller"])
    assert sub.sell_price.amount == D("6") and not audit_rows("price.changed")


@pytest.mark.parametrize("body, errors", [
    ({"setup_fee": "1.00001", "price": "7"}, {"setup_fee"}),
    ({"setup_fee": 1.5, "price": "7"}, {"setup_fee"}),
    ({"price": "7"}, {"setup_fee"}),
    ({"setup_fee": "-1", "price": "7"}, {"setup_fee"}),
    ({"setup_fee": "3", "price": "7", "balance": "1000", "sell_price": "0"}, {"balance", "sell_price"}),
])
def test_bad_money_and_extra_fields_are_422(people, held, api_as, body, errors):
    answer = api_as("reseller").put(url(held["own"].number, "api:did_sell_cost"), body)
    assert answer.status_code == 422 and set(answer.json()["errors"]) == errors, answer.content
    assert holding(held["own"], people["reseller"]).sell_price.amount == D("6")


def test_a_customer_has_no_sell_cost_403(people, held, api_as):
    answer = api_as("customer").put(url(held["sold"].number, "api:did_sell_cost"), {"setup_fee": "9", "price": "9"})
    assert answer.status_code == 403 and answer.json()["detail"] == "A customer sells to nobody: it has no sell cost to set."


def test_each_route_takes_only_its_method(held, api_as):
    api = api_as("reseller")
    number = held["own"].number
    assert api.post(url(number)).status_code == 405
    assert api.post(url(number, "api:did_destination")).status_code == 405
    assert api.get(url(number, "api:did_sell_cost")).status_code == 405
    assert api.post(reverse("api:dids")).status_code == 405
