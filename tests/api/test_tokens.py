"""API tokens: the service (create, show once, digest only, revoke, expiry, last use written at
most once a minute) and the API tokens page of each role (list, create, revoke behind a
confirmation, another account's token 404, audited)."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api import tokens
from api.models import ApiToken
from audit.context import API, UI
from audit.models import AuditEntry
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_a_token_is_kept_as_a_digest_and_a_prefix_only(people):
    row, secret = tokens.create_token(user=people["reseller"], name="WHMCS")
    assert secret.startswith("didp_") and len(secret) >= 5 + 43  # 32 random bytes, url-safe
    row.refresh_from_db()
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(row.prefix) and len(row.prefix) == 13
    stored = [str(v) for v in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert secret not in stored
    assert row.account_id == people["reseller"].account_id and row.user == people["reseller"]


def test_an_admins_token_is_the_operators(people):
    row, _ = tokens.create_token(user=people["admin"], name="ops")
    assert row.account_id is None
    assert list(tokens.tokens_for(people["admin"])) == [row]
    assert list(tokens.tokens_for(people["reseller"])) == []


def test_creating_and_revoking_are_audited(people):
    row, _ = tokens.create_token(user=people["reseller"], name="WHMCS", by=people["reseller"])
    created = AuditEntry.objects.get(action="api_token.created")
    assert (created.account_id, created.actor_id, created.object_id) == (
        people["reseller"].account_id, people["reseller"].pk, row.pk)
    assert row.prefix in created.summary and "WHMCS" in created.summary
    assert tokens.revoke_token(row, by=people["reseller"]) is True
    assert tokens.revoke_token(row, by=people["reseller"]) is False  # already: no second row
    assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1


def test_a_name_is_required_and_an_expiry_must_be_in_the_future(people):
    with pytest.raises(tokens.TokenRefused) as refused:
        tokens.create_token(user=people["reseller"], name="  ")
    assert refused.value.field == "name"
    with pytest.raises(tokens.TokenRefused) as refused:
        tokens.create_token(user=people["reseller"], name="x", expires_at=timezone.now() - timedelta(seconds=1))
    assert refused.value.field == "expires_at"
    assert not ApiToken.objects.exists()


def test_live_token_refuses_unknown_revoked_expired_and_deactivated(people):
    row, secret = tokens.create_token(user=people["customer"], name="c")
    assert tokens.live_token(secret)[0] == row
    assert tokens.live_token("didp_" + "x" * 43) == (None, tokens.Refusal.UNKNOWN)
    assert tokens.live_token("x" * 500) == (None, tokens.Refusal.UNKNOWN)
    later = timezone.now() + timedelta(days=31)
    expiring, expiring_secret = tokens.create_token(user=people["customer"], name="e",
                                                    expires_at=timezone.now() + timedelta(days=30))
    assert tokens.live_token(expiring_secret)[0] == expiring
    assert tokens.live_token(expiring_secret, now=later) == (None, tokens.Refusal.EXPIRED)
    people["customer"].is_active = False
    people["customer"].save()
    assert tokens.live_token(secret) == (None, tokens.Refusal.INACTIVE)
    tokens.revoke_token(row)
    assert tokens.live_token(secret) == (None, tokens.Refusal.REVOKED)


def test_the_last_use_is_written_at_most_once_a_minute(people, django_assert_num_queries):
    row, secret = tokens.create_token(user=people["reseller"], name="r")
    now = timezone.now()
    assert tokens.note_use(row, "203.0.113.7", now=now) is True
    with django_assert_num_queries(0):  # within the minute: no query at all
        assert tokens.note_use(row, "203.0.113.8", now=now + timedelta(seconds=59)) is False
    stale = ApiToken.objects.get(pk=row.pk)  # another worker's copy, read before the first write
    stale.last_used_at = None
    assert tokens.note_use(stale, "203.0.113.9", now=now + timedelta(seconds=30)) is False  # the row is recent
    assert tokens.note_use(row, "203.0.113.10", now=now + timedelta(seconds=60)) is True
    row.refresh_from_db()
    assert (row.last_used_at, row.last_used_ip) == (now + timedelta(seconds=60), "203.0.113.10")


def test_requests_write_the_last_use_once_a_minute(people, secrets_of, django_assert_max_num_queries):
    api = Api(secrets_of["reseller"], REMOTE_ADDR="198.51.100.4")
    assert api.get(reverse("api:account")).status_code == 200
    row = ApiToken.objects.get(user=people["reseller"])
    first = row.last_used_at
    assert first is not None and row.last_used_ip == "198.51.100.4"
    for _ in range(3):
        assert api.get(reverse("api:account")).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == first


def test_the_client_address_honours_trusted_proxies(people, secrets_of, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    Api(secrets_of["customer"], REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.50").get(
        reverse("api:account"))
    assert ApiToken.objects.get(user=people["customer"]).last_used_ip == "203.0.113.50"


# --- the page -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "reseller", "customer"])
def test_create_shows_the_secret_once_then_lists_it(client, people, role):
    user = people[role]
    client.force_login(user)
    page = client.get(reverse("api_tokens:list"))
    assert page.status_code == 200 and "No Records" in page.content.decode()
    answer = client.post(reverse("api_tokens:create"), {"name": "My shop", "expires_in": "30"})
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    secret = re.search(r'value="(didp_[^"]+)"', answer.content.decode()).group(1)
    row = ApiToken.objects.get()
    assert row.digest == tokens.digest(secret) and row.user == user
    assert row.account_id == (None if role == "admin" else user.account_id)
    assert timedelta(days=29, hours=23) < row.expires_at - timezone.now() <= timedelta(days=30)
    listing = client.get(reverse("api_tokens:list")).content.decode()
    assert "My shop" in listing and row.prefix in listing and secret not in listing
    assert Api(secret).get(reverse("api:account")).status_code == 200
    entry = AuditEntry.objects.get(action="api_token.created")
    assert entry.source == UI and entry.actor_id == user.pk


def test_the_form_says_what_is_wrong_next_to_the_field(reseller_client):
    answer = reseller_client.post(reverse("api_tokens:create"), {"name": "", "expires_in": "12"})
    assert answer.status_code == 200
    form = answer.context["form"]
    assert "name" in form.errors and "expires_in" in form.errors
    assert not ApiToken.objects.exists()


def test_revoke_asks_first_then_revokes_on_post(client, people, secrets_of):
    client.force_login(people["reseller"])
    row = ApiToken.objects.get(user=people["reseller"])
    url = reverse("api_tokens:revoke", args=[row.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and row.prefix in confirm.content.decode()
    row.refresh_from_db()
    assert row.revoked_at is None  # a GET changes nothing
    assert client.post(url).status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None and row.status == ApiToken.Status.REVOKED
    assert Api(secrets_of["reseller"]).get(reverse("api:account")).status_code == 401
    assert "Revoked" in client.get(reverse("api_tokens:list")).content.decode()


@pytest.mark.parametrize("role, owner", [("reseller", "other"), ("reseller", "customer"), ("customer", "reseller"),
                                         ("admin", "reseller"), ("reseller", "admin")])
def test_another_accounts_token_is_not_found(client, people, secrets_of, role, owner):
    client.force_login(people[role])
    row = ApiToken.objects.get(user=people[owner])
    assert client.get(reverse("api_tokens:revoke", args=[row.pk])).status_code == 404
    assert client.post(reverse("api_tokens:revoke", args=[row.pk])).status_code == 404
    assert row.name not in client.get(reverse("api_tokens:list")).content.decode()
    row.refresh_from_db()
    assert row.revoked_at is None


def test_an_admin_sees_and_revokes_every_admins_operator_tokens(client, people):
    from tests.factories import make_admin

    other_admin = make_admin("api-admin-2")
    row, _ = tokens.create_token(user=other_admin, name="night batch")
    client.force_login(people["admin"])
    assert "night batch" in client.get(reverse("api_tokens:list")).content.decode()
    assert client.post(reverse("api_tokens:revoke", args=[row.pk])).status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_an_admin_logged_in_as_an_account_cannot_create_its_tokens(client, people):
    client.force_login(people["admin"])
    assert client.post(reverse("audit:login_as", args=[people["customer"].account_id])).status_code == 302
    answer = client.post(reverse("api_tokens:create"), {"name": "sneaky"})
    assert answer.status_code == 302 and answer["Location"] == reverse("api_tokens:list")
    assert not ApiToken.objects.exists()


def test_the_user_menu_links_the_page_for_every_role(client, people):
    for role in ("admin", "reseller", "customer"):
        client.force_login(people[role])
        assert f'href="{reverse("api_tokens:list")}"' in client.get(reverse("api_tokens:list")).content.decode()


def test_an_api_request_records_source_api(people, secrets_of):
    """Requests through the API write audit rows with source API (api/middleware.py): checked on a
    row written while the API answers (the token's last use is no audit row, so a test view)."""
    from django.test import RequestFactory

    from api.middleware import ApiMiddleware
    from audit import context
    from audit.record import record

    seen = {}

    def view(request):
        seen["source"] = context.current().source
        record("api_token.revoked", summary="probe")
        from django.http import HttpResponse

        response = HttpResponse("ok")
        return response

    request = RequestFactory().get("/api/v1/anything/")
    ApiMiddleware(view)(request)
    assert seen["source"] == API
    assert AuditEntry.objects.get(summary="probe").source == API
    ApiMiddleware(view)(RequestFactory().get("/portal/dids/"))
    assert seen["source"] == context.COMMAND  # not under /api/: left as it was (no AuditContextMiddleware here)
