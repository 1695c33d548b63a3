import pytest
from django.urls import reverse

from dids.models import Provider


def test_default_provider_exists_after_migrate(db):
    provider = Provider.objects.get(name="default provider")
    assert str(provider) == "default provider (3673942894)"
    assert provider.is_active


def test_create_provider_gets_a_ten_digit_account_number(admin_client, db):
    response = admin_client.post(reverse("dids:provider_create"), {"name": "Acme Telecom", "is_active": "on"})
    assert response.status_code == 302
    provider = Provider.objects.get(name="Acme Telecom")
    assert len(provider.number) == 10 and provider.number.isdigit() and provider.number[0] != "0"


def test_provider_names_are_unique_case_insensitively(admin_client, default_provider):
    response = admin_client.post(reverse("dids:provider_create"), {"name": "Default Provider"})
    assert response.status_code == 200
    assert "already exists" in " ".join(response.context["form"].errors["name"])
    assert Provider.objects.filter(name__iexact="default provider").count() == 1


def test_edit_and_deactivate_then_reactivate(admin_client, default_provider):
    provider = Provider.objects.create(name="Old Name")
    admin_client.post(reverse("dids:provider_edit", args=[provider.pk]), {"name": "New Name", "is_active": "on"})
    provider.refresh_from_db()
    assert provider.name == "New Name"
    # GET is the confirmation page and never changes state (tests/dids/test_provider_confirm.py).
    assert admin_client.get(reverse("dids:provider_toggle", args=[provider.pk])).status_code == 200
    admin_client.post(reverse("dids:provider_toggle", args=[provider.pk]), {"state": "inactive"})
    provider.refresh_from_db()
    assert not provider.is_active
    # A deactivated provider is no longer offered on the DID form.
    form = admin_client.get(reverse("dids:create")).context["form"]
    assert provider not in form.fields["provider"].queryset
    admin_client.post(reverse("dids:provider_toggle", args=[provider.pk]), {"state": "active"})
    provider.refresh_from_db()
    assert provider.is_active


def test_provider_list_shows_counter_and_search(admin_client, default_provider):
    Provider.objects.create(name="Acme Telecom")
    html = admin_client.get(reverse("dids:provider_list")).content.decode()
    assert "1 - 2 of 2 Records" in html and "3673942894" in html
    response = admin_client.get(reverse("dids:provider_list"), {"q": "acme"})
    assert [p.name for p in response.context["page"].rows] == ["Acme Telecom"]
    response = admin_client.get(reverse("dids:provider_list"), {"q": "nothing-like-this"})
    assert "No Records" in response.content.decode()
