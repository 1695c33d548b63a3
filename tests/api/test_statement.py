"""GET /api/v1/statement/?from=&to=: the Statement page's entries (billing/ledger/statement.py),
newest first, cursor-paginated; dates ISO, checked by the page's date form."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.ledger.funds import add_funds
from billing.ledger.statement import statement_entries
from billing.models import LedgerEntry
from tests.api.test_dids import held, iso  # noqa: F401  (held is a fixture)

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_statement_is_the_pages_entries_newest_first(people, held, api_as):
    r = people["reseller"].account
    rows = api_as("reseller").get(reverse("api:statement"), {"limit": 500}).json()["results"]
    entries = list(statement_entries(account_id=r.pk).order_by("-seq"))
    assert [row["seq"] for row in rows] == [e.seq for e in entries] and len(rows) > 3
    first = entries[0]
    assert rows[0] == {
        "seq": first.seq, "created_at": iso(first.created_at), "kind": first.kind,
        "kind_label": first.get_kind_display(), "description": first.description,
        "did": first.did.number if first.did_id else None,
        "period_start": iso(first.period_start) if first.period_start else None,
        "period_end": iso(first.period_end) if first.period_end else None,
        "amount": f"{first.amount.amount:.4f}", "balance_after": f"{first.balance_after.amount:.4f}",
    }
    funds = next(row for row in rows if row["kind"] == "funds_added")
    assert funds["did"] is None and funds["amount"] == "125.5000"
    sale = next(row for row in rows if row["kind"] == "did_price")
    assert sale["did"].startswith("+") and sale["amount"].startswith("-")


def test_another_accounts_entries_never_show(people, held, api_as):
    for role in ("customer", "other"):
        rows = api_as(role).get(reverse("api:statement"), {"limit": 500}).json()["results"]
        mine = set(LedgerEntry.objects.filter(account=people[role].account).values_list("seq", flat=True))
        assert {row["seq"] for row in rows} == mine
        assert held["own"].number not in str(rows)


def test_from_and_to_are_days_in_the_portals_time_zone(people, api_as):
    today = timezone.localdate()  # the fixture's funds were added today
    body = api_as("reseller").get(reverse("api:statement"), {"from": today.isoformat(), "to": today.isoformat()})
    assert body.status_code == 200 and len(body.json()["results"]) == 1
    yesterday = (today - timedelta(days=1)).isoformat()
    assert api_as("reseller").get(reverse("api:statement"), {"to": yesterday}).json()["results"] == []
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert api_as("reseller").get(reverse("api:statement"), {"from": tomorrow}).json()["results"] == []


@pytest.mark.parametrize("query, errors", [
    ({"from": "2026-13-01"}, {"from": ["Enter a valid date."]}),
    ({"to": "yesterday"}, {"to": ["Enter a valid date."]}),
    ({"from": "12/01/2026"}, {"from": ["Enter a valid date."]}),  # ISO only
    ({"from": "2026-12-02", "to": "2026-12-01"}, {"to": ["The end date is before the start date."]}),
])
def test_bad_dates_are_422_with_the_pages_messages(api_as, query, errors):
    answer = api_as("reseller").get(reverse("api:statement"), query)
    assert answer.status_code == 422 and answer.json()["code"] == "validation"
    assert answer.json()["errors"] == errors


def test_an_admins_token_is_403(api_as):
    answer = api_as("admin").get(reverse("api:statement"))
    assert answer.status_code == 403 and "operator has no statement" in answer.json()["detail"]


def test_pages_follow_the_cursor(people, api_as):
    for n in range(6):
        add_funds(account_id=people["customer"].account_id, amount=D(n + 1), description=f"refill {n}")
    api, seen, path = api_as("customer"), [], reverse("api:statement") + "?limit=4"
    while path:
        body = api.get(path).json()
        seen += [row["seq"] for row in body["results"]]
        path = body["next"]
    assert seen == [6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize("count", [1, 15])
def test_the_query_budget_does_not_grow_with_the_rows(people, api_as, django_assert_max_num_queries, count):
    for n in range(count):
        add_funds(account_id=people["customer"].account_id, amount=D("1"), description=f"refill {n}")
    api = api_as("customer")
    api.get(reverse("api:statement"))
    with django_assert_max_num_queries(3):  # the token (login, account), the throttle, the page with its DIDs
        assert len(api.get(reverse("api:statement"), {"from": "2026-01-01"}).json()["results"]) == count
