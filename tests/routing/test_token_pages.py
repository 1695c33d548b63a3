"""The admin's switch token pages and the create_switch_token command."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from routing.models import SwitchToken
from routing.tokens import create_token
from tests.routing.conftest import NUMBER

PAGES = [reverse("routing:tokens"), reverse("routing:token_create")]


@pytest.mark.parametrize("url", PAGES)
def test_admin_sees_the_pages(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_reseller_and_customer_get_403(reseller_client, url):
    assert reseller_client.get(url).status_code == 403


def test_customer_gets_403_on_revoke(customer_client):
    row, _ = create_token("fs1")
    assert customer_client.post(reverse("routing:token_revoke", args=[row.pk])).status_code == 403
    assert SwitchToken.objects.get().revoked_at is None


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_goes_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_list_shows_name_prefix_and_status_and_the_menu_entry(admin_client):
    active, _ = create_token("fs1.example.net")
    revoked, _ = create_token("fs-old.example.net")
    SwitchToken.objects.filter(pk=revoked.pk).update(revoked_at="2026-01-02T03:04:05Z")
    html = admin_client.get(reverse("routing:tokens")).content.decode()
    for text in ("fs1.example.net", active.prefix, "Active", "fs-old.example.net", "Revoked 2026-01-02",
                 reverse("routing:token_revoke", args=[active.pk])):
        assert text in html, text
    assert reverse("routing:token_revoke", args=[revoked.pk]) not in html
    assert html.index("fs1.example.net") < html.index("fs-old.example.net")  # live tokens first
    assert 'class="nav-link active" href="/routing/tokens/">Switch tokens</a>' in html


def test_empty_list_says_no_records(admin_client):
    assert "No Records" in admin_client.get(reverse("routing:tokens")).content.decode()


def test_create_shows_the_token_once_and_stores_only_its_digest(admin_client, admin_user, client, chain):
    response = admin_client.post(reverse("routing:token_create"), {"name": " fs1.example.net "})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    plain = response.context["plain"]
    assert len(plain) >= 43 and plain in response.content.decode()
    row = SwitchToken.objects.get()
    assert (row.name, row.created_by, row.prefix) == ("fs1.example.net", admin_user, plain[:8])
    assert row.digest == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in str(list(SwitchToken.objects.values_list()))
    # Never shown again.
    assert plain not in admin_client.get(reverse("routing:tokens")).content.decode()
    # And it works.
    response = client.get(reverse("routing:lookup"), {"number": NUMBER}, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.json()["allow"] is True


def test_create_refuses_a_taken_name(admin_client):
    create_token("fs1.example.net")
    response = admin_client.post(reverse("routing:token_create"), {"name": "FS1.example.net"})
    assert response.status_code == 200 and "choose another name" in response.content.decode()
    assert SwitchToken.objects.count() == 1


def test_revoke_asks_first_and_only_post_revokes(admin_client, client, chain):
    row, plain = create_token("fs1.example.net")
    url = reverse("routing:token_revoke", args=[row.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "Revoke the token of fs1.example.net?" in page.content.decode()
    assert SwitchToken.objects.get().revoked_at is None
    response = admin_client.post(url)
    assert response.status_code == 302 and response.url == reverse("routing:tokens")
    revoked_at = SwitchToken.objects.get().revoked_at
    assert revoked_at is not None
    assert client.get(reverse("routing:lookup"), {"number": NUMBER},
                      HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    admin_client.post(url)  # again: nothing changes
    assert SwitchToken.objects.get().revoked_at == revoked_at
    assert admin_client.get(reverse("routing:token_revoke", args=[row.pk + 99])).status_code == 404


def test_command_prints_a_working_token(client, chain):
    out, err = StringIO(), StringIO()
    call_command("create_switch_token", "fs2.example.net", stdout=out, stderr=err)
    plain = out.getvalue().strip()
    assert "shown once" in err.getvalue()
    assert SwitchToken.objects.get(name="fs2.example.net").digest == hashlib.sha256(plain.encode()).hexdigest()
    response = client.get(reverse("routing:lookup"), {"number": NUMBER}, HTTP_X_SWITCH_TOKEN=plain)
    assert response.json()["destination"] == "sip:alice@pbx.example.com"
    with pytest.raises(CommandError, match="exists"):
        call_command("create_switch_token", "fs2.example.net", stdout=StringIO(), stderr=StringIO())
