"""GET /api/v1/account/ for each role: its own account only, money as exact strings."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
FIELDS = {"number", "name", "kind", "balance", "credit_limit", "status", "currency", "login"}


@pytest.mark.parametrize("role, kind", [("reseller", "reseller"), ("customer", "customer"), ("other", "reseller")])
def test_an_accounts_token_sees_its_own_account(people, api_as, role, kind):
    answer = api_as(role).get(reverse("api:account"))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    body = answer.json()
    account = people[role].account
    account.refresh_from_db()
    assert set(body) == FIELDS
    assert body == {"number": account.number, "name": account.name, "kind": kind,
                    "balance": f"{account.balance.amount:.4f}", "credit_limit": f"{account.credit_limit.amount:.4f}",
                    "status": "active", "currency": "USD", "login": people[role].username}


def test_money_is_a_string_with_four_places(api_as):
    body = api_as("reseller").get(reverse("api:account")).json()
    assert (body["balance"], body["credit_limit"]) == ("125.5000", "50.0000")
    raw = api_as("reseller").get(reverse("api:account")).content.decode()
    assert '"balance":"125.5000"' in raw  # a JSON string, never a number


def test_an_admins_token_sees_the_operator(people, api_as):
    assert api_as("admin").get(reverse("api:account")).json() == {
        "number": None, "name": "Operator", "kind": "operator", "balance": None, "credit_limit": None,
        "status": "active", "currency": "USD", "login": "api-admin"}


def test_another_accounts_token_never_shows_this_one(people, api_as):
    for role in ("other", "customer", "admin"):
        raw = api_as(role).get(reverse("api:account")).content.decode()
        assert people["reseller"].account.number not in raw and "API Reseller" not in raw


def test_it_costs_a_few_queries(api_as, django_assert_max_num_queries):
    api = api_as("reseller")
    api.get(reverse("api:account"))  # the last use written once
    with django_assert_max_num_queries(3):  # the token with its login and account; the throttle's count
        assert api.get(reverse("api:account")).status_code == 200
