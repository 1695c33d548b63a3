"""Bearer authentication: 401 for no, unknown, revoked or expired tokens (with WWW-Authenticate),
403 account-suspended for a suspended account's token, no session on the API, the token's login
as request.user (its rights, its audit rows, source API)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from accounts.services import account_set_status
from api import tokens
from api.models import ApiToken
from audit.context import API
from audit.models import AuditEntry
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db
ACCOUNT = "/api/v1/account/"


def _is_401(response, detail: str, *, sent_token: bool):
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["detail"]) == (401, "not-authenticated", detail)
    expected = 'Bearer realm="api", error="invalid_token"' if sent_token else 'Bearer realm="api"'
    assert response["WWW-Authenticate"] == expected


def test_no_token(people):
    _is_401(Api().get(ACCOUNT), "Authentication credentials were not provided.", sent_token=False)


@pytest.mark.parametrize("header", ["Token abc", "Basic dXNlcjpwYXNz", ""])
def test_another_scheme_is_no_token(people, header):
    _is_401(Api().get(ACCOUNT, HTTP_AUTHORIZATION=header), "Authentication credentials were not provided.",
            sent_token=False)


def test_bearer_without_a_token(people):
    _is_401(Api().get(ACCOUNT, HTTP_AUTHORIZATION="Bearer  "), tokens.Refusal.MISSING, sent_token=True)


@pytest.mark.parametrize("secret", ["nope", "didp_" + "A" * 43, "didp_" + "A" * 300])
def test_an_unknown_token(people, secret):
    _is_401(Api(secret).get(ACCOUNT), tokens.Refusal.UNKNOWN, sent_token=True)


def test_a_revoked_token(people, secrets_of):
    tokens.revoke_token(ApiToken.objects.get(user=people["reseller"]))
    _is_401(Api(secrets_of["reseller"]).get(ACCOUNT), tokens.Refusal.REVOKED, sent_token=True)


def test_an_expired_token(people):
    row, secret = tokens.create_token(user=people["reseller"], name="short", expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _is_401(Api(secret).get(ACCOUNT), tokens.Refusal.EXPIRED, sent_token=True)


def test_a_deactivated_login(people, secrets_of):
    people["admin"].is_active = False
    people["admin"].save()
    _is_401(Api(secrets_of["admin"]).get(ACCOUNT), tokens.Refusal.INACTIVE, sent_token=True)


@pytest.mark.parametrize("role", ["reseller", "customer"])
def test_a_suspended_accounts_token_is_refused_with_403_until_reactivated(people, secrets_of, role):
    account_id = people[role].account_id
    account_set_status(account_id=account_id, status=Account.Status.SUSPENDED)
    answer = Api(secrets_of[role]).get(ACCOUNT)
    assert answer.status_code == 403 and answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "account-suspended"
    account_set_status(account_id=account_id, status=Account.Status.ACTIVE)
    assert Api(secrets_of[role]).get(ACCOUNT).status_code == 200


def test_a_session_is_not_an_api_login(reseller_client, admin_client):
    for client in (reseller_client, admin_client):
        answer = client.get(ACCOUNT)
        assert answer.status_code == 401 and answer.json()["code"] == "not-authenticated"


def test_a_token_with_a_session_of_someone_else_acts_as_the_token(client, people, secrets_of):
    client.force_login(people["other"])
    answer = client.get(ACCOUNT, HTTP_AUTHORIZATION=f"Bearer {secrets_of['customer']}")
    assert answer.json()["number"] == people["customer"].account.number


def test_no_csrf_token_is_needed(people, secrets_of, settings):
    settings.ROOT_URLCONF = "tests.api.probe_urls"
    answer = Api(secrets_of["reseller"], enforce_csrf_checks=True).post("/api/v1/test-audit/")
    assert answer.status_code == 200


def test_audit_rows_of_an_api_request_say_api_and_the_tokens_login(people, secrets_of, settings):
    settings.ROOT_URLCONF = "tests.api.probe_urls"
    answer = Api(secrets_of["reseller"], REMOTE_ADDR="192.0.2.33").post("/api/v1/test-audit/")
    assert answer.status_code == 200
    row = AuditEntry.objects.get(summary="probe")
    assert (row.source, row.actor_id, row.ip, row.account_id) == (
        API, people["reseller"].pk, "192.0.2.33", people["reseller"].account_id)


def test_the_pages_still_record_source_ui(reseller_client):
    reseller_client.post(reverse("api_tokens:create"), {"name": "x"})
    assert AuditEntry.objects.get(action="api_token.created").source == "ui"
