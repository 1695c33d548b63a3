"""GET /api/v1/dids/ and /api/v1/dids/{number}/: an account's own numbers, as its DIDs page has them."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.fields import DateTimeField

from billing.ledger.funds import add_funds
from billing.models import Subscription
from billing.subscriptions.purchase import purchase_did
from core.money import money
from dids.models import DID
from routing.destinations import set_destination
from tests.factories import DIDFactory

pytestmark = pytest.mark.django_db
D = Decimal
T0 = timezone.now().replace(microsecond=0) - timedelta(days=2)


def iso(value) -> str:
    """A time as the API writes it (ISO 8601 in the portal's time zone)."""
    return DateTimeField().to_representation(value)


def url(number: str, name: str = "api:did") -> str:
    """The path of a number, '+' encoded as %2B (as a client's URL library sends it)."""
    return reverse(name, args=["NUMBER"]).replace("NUMBER", quote(number, safe=""))


@pytest.fixture
def held(people):
    """The reseller R holds three DIDs: ``sold`` sold on to its customer C, ``own`` routed to a SIP
    URI, ``once`` One Time; the other reseller O holds ``foreign``; ``pool`` is nobody's."""
    r, c, o = people["reseller"], people["customer"], people["other"]
    add_funds(account_id=c.account_id, amount=D("50"), description="API test funds")
    dids = {
        "sold": DIDFactory(setup_fee=money(D("1")), monthly_fee=money(D("4")), city="Springfield",
                           province="IL"),
        "own": DIDFactory(setup_fee=money(D("2")), monthly_fee=money(D("5"))),
        "once": DIDFactory(setup_fee=money(D("0")), monthly_fee=money(D("3")),
                           billing_type=DID.BillingType.ONE_TIME),
        "foreign": DIDFactory(setup_fee=money(D("0")), monthly_fee=money(D("2"))),
        "pool": DIDFactory(),
    }
    for key in ("sold", "own", "once"):
        purchase_did(buyer_id=r.account_id, did_id=dids[key].pk, purchase_key=f"r-{key}", by=r, now=T0,
                     sell_setup_fee=D("1.5"), sell_price=D("6"))
    purchase_did(buyer_id=c.account_id, did_id=dids["sold"].pk, purchase_key="c-sold", by=c, now=T0)
    purchase_did(buyer_id=o.account_id, did_id=dids["foreign"].pk, purchase_key="o-foreign", by=o, now=T0)
    set_destination(did_id=dids["own"].pk, account_id=r.account_id, call_type="sip_uri",
                    destination="sip:alice@pbx.example.com", by=r)
    set_destination(did_id=dids["sold"].pk, account_id=c.account_id, call_type="pstn",
                    destination="+442079460958", by=c)
    return dids


def test_a_reseller_lists_its_numbers_by_number_with_every_field(people, held, api_as):
    body = api_as("reseller").get(reverse("api:dids")).json()
    assert set(body) == {"next", "previous", "results"} and body["next"] is None
    rows = {row["number"]: row for row in body["results"]}
    assert list(rows) == sorted(held[k].number for k in ("sold", "own", "once"))
    sub = Subscription.objects.get(did=held["sold"], account=people["reseller"].account)
    assert rows[held["sold"].number] == {
        "number": held["sold"].number, "country": "US", "city": "Springfield", "province": "IL",
        "subscription": {"setup_fee": "1.0000", "price": "4.0000", "billing_type": "recurring",
                         "billing_days": 28, "since": iso(sub.started_at)},
        "paid_until": iso(sub.period_end),
        "next_renewal": iso(sub.period_end),
        "status": "active", "suspended_until": None,
        "destination": None,  # sold on: its buyer routes the calls
        "sold_to": people["customer"].account.number,
        "sell_cost": {"setup_fee": "1.5000", "price": "6.0000"},
    }
    assert rows[held["own"].number]["destination"] == {"call_type": "sip_uri",
                                                       "destination": "sip:alice@pbx.example.com"}
    assert rows[held["own"].number]["sold_to"] is None
    assert rows[held["once"].number]["next_renewal"] is None  # One Time: no renewal
    assert rows[held["once"].number]["destination"] == {"call_type": None, "destination": None}


def test_a_customer_sees_its_own_number_without_a_sell_side(people, held, api_as):
    rows = api_as("customer").get(reverse("api:dids")).json()["results"]
    assert [r["number"] for r in rows] == [held["sold"].number]
    assert rows[0]["sell_cost"] is None and rows[0]["sold_to"] is None
    assert rows[0]["destination"] == {"call_type": "pstn", "destination": "+442079460958"}
    assert rows[0]["subscription"]["price"] == "6.0000"  # what it pays its reseller


def test_a_suspended_holding_says_so(people, held, api_as):
    until = timezone.now() + timedelta(days=3)
    Subscription.objects.filter(did=held["own"], account=people["reseller"].account).update(
        suspended_at=timezone.now(), grace_until=until)
    row = api_as("reseller").get(url(held["own"].number)).json()
    assert row["status"] == "suspended" and row["suspended_until"] == iso(until)


def test_the_number_search(held, api_as):
    digits = held["own"].digits[-6:]
    rows = api_as("reseller").get(reverse("api:dids"), {"number": digits}).json()["results"]
    assert [r["number"] for r in rows] == [held["own"].number]


@pytest.mark.parametrize("form", ["encoded", "plus", "digits"])
def test_a_number_in_the_path_with_or_without_its_plus(held, api_as, form):
    number = held["own"].number
    path = {"encoded": url(number), "plus": reverse("api:did", args=[number]),
            "digits": reverse("api:did", args=[number.lstrip("+")])}[form]
    answer = api_as("reseller").get(path)
    assert answer.status_code == 200 and answer.json()["number"] == number


@pytest.mark.parametrize("role, key", [
    ("reseller", "foreign"),  # another tenant's
    ("reseller", "pool"),  # nobody's
    ("customer", "own"),  # its reseller's, not sold to it
    ("other", "sold"),
])
def test_a_number_not_held_is_404_on_every_route(held, api_as, role, key):
    api = api_as(role)
    number = held[key].number
    answers = [api.get(url(number)), api.post(url(number, "api:did_release")),
               api.put(url(number, "api:did_destination"), {"call_type": "sip_device", "destination": "1001"})]
    if role != "customer":  # a customer's sell-cost is 403 before any number is looked at
        answers.append(api.put(url(number, "api:did_sell_cost"), {"setup_fee": "9", "price": "9"}))
    for answer in answers:
        assert answer.status_code == 404 and answer.json()["code"] == "not-found", answer.content
        assert answer.json()["detail"] in ("Not found.", "You do not hold this DID.")
    assert not api.get(reverse("api:dids")).json()["results"] or number not in str(
        api.get(reverse("api:dids")).json())


@pytest.mark.parametrize("raw", ["abc", "+0123", "1" * 16, "+", "%2B%2B1855"])
def test_a_path_that_is_no_number_is_404(held, api_as, raw):
    assert api_as("reseller").get(f"/api/v1/dids/{raw}/").status_code == 404


def test_an_admins_token_is_403(held, api_as):
    api = api_as("admin")
    number = held["own"].number
    for answer in (api.get(reverse("api:dids")), api.get(url(number)), api.post(url(number, "api:did_release")),
                   api.put(url(number, "api:did_destination"), {"call_type": "sip_device", "destination": "1001"}),
                   api.put(url(number, "api:did_sell_cost"), {"setup_fee": "9", "price": "9"})):
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
        assert "operator holds no numbers" in answer.json()["detail"]


def test_without_a_token_401(held):
    from tests.api.conftest import Api
    assert Api().get(reverse("api:dids")).status_code == 401


def test_pages_follow_the_cursor(people, held, api_as):
    for n in range(5):
        did = DIDFactory(monthly_fee=money(D("1")), setup_fee=money(D("0")))
        purchase_did(buyer_id=people["reseller"].account_id, did_id=did.pk, purchase_key=f"page-{n}", now=T0)
    api, seen, path = api_as("reseller"), [], reverse("api:dids") + "?limit=3"
    while path:
        body = api.get(path).json()
        assert len(body["results"]) <= 3
        seen += [r["number"] for r in body["results"]]
        path = body["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8


@pytest.mark.parametrize("count", [1, 12])
def test_the_list_costs_the_same_queries_at_any_size(people, api_as, django_assert_max_num_queries, count):
    for n in range(count):
        did = DIDFactory(monthly_fee=money(D("1")), setup_fee=money(D("0")))
        purchase_did(buyer_id=people["reseller"].account_id, did_id=did.pk, purchase_key=f"q-{n}", now=T0)
    api = api_as("reseller")
    api.get(reverse("api:dids"))  # the token's last use written once
    # The token with its login and account; the throttle's count; the page (sold_to in a subquery).
    with django_assert_max_num_queries(4):
        assert len(api.get(reverse("api:dids")).json()["results"]) == count
    one = url(Subscription.objects.filter(account=people["reseller"].account).first().did.number)
    with django_assert_max_num_queries(4):
        assert api.get(one).status_code == 200


# --- every route x every role x every number (held, sold on, another tenant's, nobody's) -------------

ROUTES = {  # route -> (method, body)
    "api:did": ("get", None),
    "api:did_release": ("post", None),
    "api:did_destination": ("put", {"call_type": "sip_device", "destination": "1001"}),
    "api:did_sell_cost": ("put", {"setup_fee": "9", "price": "9"}),
}
HOLDS = {"reseller": {"sold", "own", "once"}, "customer": {"sold"}, "other": {"foreign"}}


def expected(role: str, route: str, key: str) -> int:
    if role == "admin":
        return 403  # the operator holds no numbers
    if route == "api:did_sell_cost" and role == "customer":
        return 403  # a customer sells to nobody
    if key not in HOLDS[role]:
        return 404  # another tenant's, its seller's, nobody's: never a hint that it exists
    if role == "reseller" and key == "sold" and route in ("api:did_release", "api:did_destination"):
        return 422  # sold on: the pages' refusal
    return 200


@pytest.mark.parametrize("role", ["admin", "reseller", "customer", "other"])
def test_every_number_route_as_every_role(held, api_as, role):
    from django.db import transaction

    api, failures = api_as(role), []
    for route, (method, body) in ROUTES.items():
        for key, did in held.items():
            with transaction.atomic():  # each request on the fixture as it was
                answer = getattr(api, method)(url(did.number, route), body)
                transaction.set_rollback(True)
            want = expected(role, route, key)
            if answer.status_code != want:
                failures.append(f"{method.upper()} {route} {key} as {role}: {answer.status_code}, expected {want}")
    assert not failures, "\n".join(failures)
