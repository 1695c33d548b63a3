"""Issue 17: every Create Product field explains itself, in the seed manual's words."""

import re

import pytest
from django.urls import reverse

from dids.forms import FIELD_HELP, DIDForm

# A phrase of the seed's manual ("Create DID Product") for each field it explains.
SEED_WORDING = {
    "provider": "Select the provider",
    "country": "Select the country for which",
    "city": "City for which the DID is created",
    "grace_time": "free",
    "cost_per_min": "Cost per minute",
    "increment": "Example: 60 to charge every minute",
    "setup_fee": "Setup fee for the DID",
    "monthly_fee": "Monthly cost for the DID",
    "call_timeout": "hangs up automatically after ringing",
    "billing_type": "renews every Billing Days",
    "billing_days": "Billing days for the subscription",
    "concurrent_calls": "at the same time",
}


@pytest.mark.django_db
def test_every_create_product_field_has_help():
    form = DIDForm()
    assert set(form.fields) == set(FIELD_HELP)
    for name, field in form.fields.items():
        assert field.help_text == FIELD_HELP[name], name
    for name, phrase in SEED_WORDING.items():
        assert phrase in form.fields[name].help_text, name


@pytest.mark.django_db
def test_create_product_page_shows_each_help_next_to_its_field(admin_client):
    html = admin_client.get(reverse("dids:create")).content.decode()
    for name in FIELD_HELP:
        # Under the field, with an id its input points to (aria-describedby): screen readers read it too.
        assert f'aria-describedby="id_{name}_helptext"' in html, name
        help_block = re.search(rf'<div id="id_{name}_helptext" class="form-text">(.*?)</div>', html, re.S)
        assert help_block and help_block.group(1) == FIELD_HELP[name], name
