"""GET /api/v1/calls/?from=&to=&did=: the Calls page's query (calls/listing.py account_calls), newest
first, cursor-paginated; what the account paid per call and, for a reseller, what it charged below."""

import csv
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.importing.pipeline import rate_cdr_file
from calls.models import CallCharge
from tests.api.test_dids import held, iso  # noqa: F401  (held is a fixture)

pytestmark = pytest.mark.django_db
DAY = timezone.localdate() - timedelta(days=1)  # the calls' day: after the purchases (two days ago)


def at(hour: int):
    return timezone.make_aware(timezone.datetime(DAY.year, DAY.month, DAY.day, hour, 0))


@pytest.fixture
def calls(held, tmp_path, settings):
    """Calls on the reseller's number sold to its customer (both pay), on its own number, and on
    the other reseller's number, imported as the CDR import does."""
    settings.CDR_TIME_ZONE = settings.TIME_ZONE
    rows = [("c-sold-1", at(9), held["sold"], 61), ("c-own-1", at(10), held["own"], 30),
            ("c-sold-2", at(11), held["sold"], 125), ("c-foreign", at(12), held["foreign"], 40)]
    path = tmp_path / "cdr.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Call ID", "Start", "DID", "Answered Seconds"])
        for call_id, start, did, billsec in rows:
            writer.writerow([call_id, timezone.localtime(start).strftime("%Y-%m-%d %H:%M:%S"), did.digits, billsec])
    report = rate_cdr_file(path, write=True)
    assert report.charged == 4, report
    return held


def test_a_reseller_sees_what_it_paid_and_what_it_charged_below(people, calls, api_as):
    rows = api_as("reseller").get(reverse("api:calls")).json()["results"]
    assert [r["call_id"] for r in rows] == ["c-sold-2", "c-own-1", "c-sold-1"]
    mine = CallCharge.objects.get(call__call_id="c-sold-2", account=people["reseller"].account)
    below = CallCharge.objects.get(call__call_id="c-sold-2", account=people["customer"].account)
    assert rows[0] == {"started_at": iso(mine.started_at), "call_id": "c-sold-2", "did": calls["sold"].number,
                       "answered_seconds": 125, "amount": f"{mine.amount:.4f}", "charged_below": f"{below.amount:.4f}"}
    assert rows[1]["charged_below"] is None  # its own number: nobody below


def test_a_customer_sees_its_calls_only(people, calls, api_as):
    rows = api_as("customer").get(reverse("api:calls")).json()["results"]
    assert [r["call_id"] for r in rows] == ["c-sold-2", "c-sold-1"]
    assert all(r["charged_below"] is None for r in rows)
    other = api_as("other").get(reverse("api:calls")).json()["results"]
    assert [r["call_id"] for r in other] == ["c-foreign"]


def test_the_did_filter_and_days(calls, api_as):
    api = api_as("reseller")
    rows = api.get(reverse("api:calls"), {"did": calls["own"].number}).json()["results"]
    assert [r["call_id"] for r in rows] == ["c-own-1"]
    # Another tenant's number as a filter: nothing (never its calls).
    assert api.get(reverse("api:calls"), {"did": calls["foreign"].number}).json()["results"] == []
    day = DAY.isoformat()
    assert len(api.get(reverse("api:calls"), {"from": day, "to": day}).json()["results"]) == 3
    before = (DAY - timedelta(days=1)).isoformat()
    assert api.get(reverse("api:calls"), {"to": before}).json()["results"] == []


@pytest.mark.parametrize("query, field", [({"from": "2026-02-30"}, "from"), ({"to": "tomorrow"}, "to"),
                                          ({"did": "abc"}, "did")])
def test_bad_filters_are_422_with_field_errors(calls, api_as, query, field):
    answer = api_as("reseller").get(reverse("api:calls"), query)
    assert answer.status_code == 422 and list(answer.json()["errors"]) == [field]


def test_an_admins_token_is_403(api_as):
    assert api_as("admin").get(reverse("api:calls")).status_code == 403


def test_pages_follow_the_cursor(calls, api_as):
    api, seen, path = api_as("reseller"), [], reverse("api:calls") + "?limit=2"
    while path:
        body = api.get(path).json()
        seen += [r["call_id"] for r in body["results"]]
        path = body["next"]
    assert seen == ["c-sold-2", "c-own-1", "c-sold-1"]


def test_the_query_budget_does_not_grow_with_the_rows(calls, api_as, django_assert_max_num_queries):
    for role, count in (("customer", 2), ("reseller", 3)):
        api = api_as(role)
        api.get(reverse("api:calls"))
        with django_assert_max_num_queries(3):  # the token, the throttle, the page (calls, DIDs, charged below)
            assert len(api.get(reverse("api:calls")).json()["results"]) == count
