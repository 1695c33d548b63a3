"""Deactivate / Reactivate a provider behind a confirmation page (issue 17: a confirmation for
every destructive action): the list's button opens a page that says what it means and changes
nothing; only its POST, with the state it showed, changes the provider."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from dids.models import Provider
from tests.factories import DIDFactory, make_account_user

pytestmark = pytest.mark.django_db


def _url(provider):
    return reverse("dids:provider_toggle", args=[provider.pk])


def _form_fields(html: str) -> dict:
    """The confirmation form's fields (the header's Log out form aside), the CSRF token left out."""
    forms = re.findall(r'<form method="post" class="d-flex[^>]*>(.*?)</form>', html, re.S)
    assert len(forms) == 1
    return {name: value for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', forms[0])
            if name != "csrfmiddlewaretoken"}


def test_the_list_links_to_the_confirmation_page(admin_client, default_provider):
    html = admin_client.get(reverse("dids:provider_list")).content.decode()
    assert f'href="{_url(default_provider)}">Deactivate</a>' in html
    assert f'action="{_url(default_provider)}"' not in html  # no one-click form left


def test_get_shows_what_deactivating_means_and_changes_nothing(admin_client, default_provider):
    DIDFactory(provider=default_provider)
    DIDFactory(provider=default_provider)
    audit_rows = AuditEntry.objects.count()
    response = admin_client.get(_url(default_provider))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Deactivate provider default provider?" in html
    assert "Its DIDs (2) stay in the catalogue" in html
    assert _form_fields(html) == {"state": "inactive"}
    assert 'href="/dids/providers/">Cancel</a>' in html
    default_provider.refresh_from_db()
    assert default_provider.is_active and AuditEntry.objects.count() == audit_rows


def test_post_from_the_page_deactivates_then_the_page_offers_reactivate(admin_client, default_provider):
    fields = _form_fields(admin_client.get(_url(default_provider)).content.decode())
    response = admin_client.post(_url(default_provider), fields, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dids:provider_list")
    assert "Provider default provider (3673942894) deactivated." in response.content.decode()
    default_provider.refresh_from_db()
    assert not default_provider.is_active
    assert AuditEntry.objects.filter(action="provider.updated").count() == 1

    html = admin_client.get(_url(default_provider)).content.decode()
    assert "Reactivate provider default provider?" in html and _form_fields(html) == {"state": "active"}
    admin_client.post(_url(default_provider), {"state": "active"})
    default_provider.refresh_from_db()
    assert default_provider.is_active


def test_a_page_posted_again_after_the_change_does_what_it_said_not_the_opposite(admin_client, default_provider):
    admin_client.post(_url(default_provider), {"state": "inactive"})
    response = admin_client.post(_url(default_provider), {"state": "inactive"}, follow=True)  # the same page twice
    assert "is inactive already" in response.content.decode()
    default_provider.refresh_from_db()
    assert not default_provider.is_active


@pytest.mark.parametrize("data", [{}, {"state": "toggle"}])
def test_a_post_without_a_confirmed_state_changes_nothing(admin_client, default_provider, data):
    response = admin_client.post(_url(default_provider), data, follow=True)
    assert response.redirect_chain[-1][0] == _url(default_provider)  # back to the confirmation page
    assert "Nothing changed" in response.content.decode()
    default_provider.refresh_from_db()
    assert default_provider.is_active


def test_the_post_needs_the_csrf_token(admin_user, default_provider):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(_url(default_provider), {"state": "inactive"}).status_code == 403
    default_provider.refresh_from_db()
    assert default_provider.is_active


def test_resellers_and_customers_get_403_on_both(client, default_provider):
    reseller = make_account_user()
    client.force_login(reseller)
    assert client.get(_url(default_provider)).status_code == 403
    assert client.post(_url(default_provider), {"state": "inactive"}).status_code == 403
    default_provider.refresh_from_db()
    assert default_provider.is_active


def test_another_providers_page_is_its_own_and_a_missing_one_404(admin_client, default_provider):
    other = Provider.objects.create(name="Other Carrier")
    admin_client.post(_url(other), {"state": "inactive"})
    default_provider.refresh_from_db()
    other.refresh_from_db()
    assert default_provider.is_active and not other.is_active
    assert admin_client.get(reverse("dids:provider_toggle", args=[999999])).status_code == 404
