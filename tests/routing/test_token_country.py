"""A switch token's country: the called numbers a switch sends without a calling code
(a US carrier's 10 digits) are national numbers of that country, for the JSON lookup and
the FreeSWITCH dialplan alike; set on Create token, on the token's Country page and by
create_switch_token --country; every change is in the audit trail."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit.models import AuditEntry
from routing.models import SwitchToken
from routing.tokens import create_token
from tests.routing.conftest import NUMBER


def lookup(client, token, number):
    return client.get(reverse("routing:lookup"), {"number": number}, HTTP_AUTHORIZATION=f"Bearer {token}").json()


def test_ten_digits_are_routed_with_a_us_token_and_refused_without_a_country(client, chain):
    us = create_token("carrier-us", country="US")[1]
    bare = create_token("carrier-any")[1]
    answer = lookup(client, us, "8555801802")
    assert (answer["number"], answer["allow"], answer["destination"]) == (NUMBER, True, "sip:alice@pbx.example.com")
    # Read as international, 8555801802 is +855 580 1802 (Cambodia): not ours, and nothing is guessed.
    assert lookup(client, bare, "8555801802") == {**lookup(client, bare, "+8555801802"), "number": "+8555801802"}
    assert lookup(client, bare, "8555801802")["reason"] == "unknown_number"
    # With the calling code, both switches find it.
    assert lookup(client, bare, "18555801802")["allow"] is lookup(client, us, "+1 855 580 1802")["allow"] is True


def test_the_freeswitch_dialplan_reads_with_the_tokens_country_too(client, chain):
    us = create_token("fs-us", country="US")[1]
    import base64

    auth = "Basic " + base64.b64encode(f"fs:{us}".encode()).decode()
    body = client.post(reverse("routing:freeswitch"), {"Caller-Destination-Number": "(855) 580-1802"},
                       HTTP_AUTHORIZATION=auth).content.decode()
    assert "bridge" in body and "alice@pbx.example.com" in body


def test_create_token_page_takes_a_country_and_the_list_shows_it(admin_client, db):
    response = admin_client.post(reverse("routing:token_create"), {"name": "carrier-us", "country": "US"})
    assert response.status_code == 200
    row = SwitchToken.objects.get()
    assert row.country.code == "US"
    page = admin_client.get(reverse("routing:tokens")).content.decode()
    assert "United States" in page and reverse("routing:token_country", args=[row.pk]) in page
    entry = AuditEntry.objects.get(action="switch_token.created")
    assert entry.changes == {"country": [None, "US"]}


def test_the_country_page_changes_only_the_country_and_is_audited(admin_client, client, chain):
    row, plain = create_token("carrier")
    url = reverse("routing:token_country", args=[row.pk])
    assert admin_client.get(url).status_code == 200
    digest = row.digest
    response = admin_client.post(url, {"country": "US", "name": "renamed", "digest": "0" * 64})
    assert response.status_code == 302 and response.url == reverse("routing:tokens")
    row.refresh_from_db()
    assert (row.country.code, row.name, row.digest) == ("US", "carrier", digest)
    assert lookup(client, plain, "8555801802")["allow"] is True
    assert AuditEntry.objects.get(action="switch_token.changed").changes == {"country": ["", "US"]}
    # Blank again: national numbers are no longer guessed.
    admin_client.post(url, {"country": ""})
    assert lookup(client, plain, "8555801802")["reason"] == "unknown_number"


def test_a_bad_country_is_refused_next_to_the_field(admin_client, db):
    row, _ = create_token("carrier")
    response = admin_client.post(reverse("routing:token_country", args=[row.pk]), {"country": "Narnia"})
    assert response.status_code == 200 and "country" in response.context["form"].errors
    row.refresh_from_db()
    assert not row.country


def test_revoking_is_audited(admin_client, db):
    row, _ = create_token("carrier")
    admin_client.post(reverse("routing:token_revoke", args=[row.pk]))
    assert AuditEntry.objects.filter(action="switch_token.revoked").count() == 1


def test_the_command_takes_a_country(client, chain):
    out = StringIO()
    call_command("create_switch_token", "carrier-us", "--country", "us", stdout=out, stderr=StringIO())
    assert SwitchToken.objects.get(name="carrier-us").country.code == "US"
    assert lookup(client, out.getvalue().strip(), "8555801802")["allow"] is True
    with pytest.raises(CommandError, match="not a two-letter ISO country code"):
        call_command("create_switch_token", "other", "--country", "USA", stdout=StringIO(), stderr=StringIO())


def test_a_lookup_with_a_country_still_costs_two_queries(client, chain, django_assert_max_num_queries):
    us = create_token("carrier-us", country="US")[1]
    with django_assert_max_num_queries(2):
        assert lookup(client, us, "8555801802")["allow"] is True
