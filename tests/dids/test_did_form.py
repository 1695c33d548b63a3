"""Create Product: the seed's example saves; every kind of bad input gets a
message next to its field, keeps what was typed and writes nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dids.models import DIDHistory
from dids.models import DID
from tests.factories import DIDFactory

SEED = {
    "category": "DID",
    "number": "18555801802",
    "country": "HK",
    "buy_cost": "5",
    "city": "Ahmedabad",
    "province": "Gujarat",
    "status": "active",
    "connection_cost": "5",
    "grace_time": "6",
    "cost_per_min": "1",
    "initial_increment": "6",
    "increment": "6",
    "setup_fee": "5",
    "monthly_fee": "20",
    "call_timeout": "30",
    "billing_type": "one_time",
    "billing_days": "28",
    "concurrent_calls": "25",
}


@pytest.fixture
def seed_data(default_provider):
    return {**SEED, "provider": str(default_provider.pk)}


def test_create_form_shows_the_seeds_labels_and_default_provider(admin_client, default_provider):
    html = admin_client.get(reverse("dids:create")).content.decode()
    for label in [
        "Product Category", "DID", "Provider", "Country", "Buy Cost (USD)", "City", "Province", "Status",
        "Connection Cost (USD)", "Grace Time (Sec.)", "Cost/Min(USD)", "Initial Increment", "Increment",
        "Setup Fee (USD)", "MonthlyFee (USD)", "Call Timeout (Sec.)", "Billing Type", "Billing Days",
        "Concurrent Calls", "Basic Information", "Product Details", "Save", "Cancel",
    ]:
        assert label in html, label
    assert f'<option value="{default_provider.pk}" selected>default provider (3673942894)</option>' in html


def test_the_seed_example_is_saved_exactly(admin_client, seed_data, default_provider):
    response = admin_client.post(reverse("dids:create"), seed_data)
    assert response.status_code == 302
    did = DID.objects.get()
    assert did.number == "+18555801802"
    assert did.provider == default_provider
    assert did.country.code == "HK"
    assert (did.city, did.province) == ("Ahmedabad", "Gujarat")
    assert did.buy_cost.amount == Decimal("5.0000")
    assert did.connection_cost.amount == Decimal("5")
    assert did.cost_per_min.amount == Decimal("1")
    assert (did.grace_time, did.initial_increment, did.increment) == (6, 6, 6)
    assert did.setup_fee.amount == Decimal("5") and did.monthly_fee.amount == Decimal("20")
    assert (did.call_timeout, did.billing_days, did.concurrent_calls) == (30, 28, 25)
    assert did.billing_type == DID.BillingType.ONE_TIME
    assert did.buy_cost.currency.code == "USD"


def test_country_not_matching_the_calling_code_is_a_warning_not_an_error(admin_client, seed_data):
    response = admin_client.post(reverse("dids:create"), seed_data, follow=True)
    assert DID.objects.count() == 1
    # The calling code, not the whole number as the "code" (+18555801802 was named once).
    assert "Hong Kong does not use calling code +1 (of +1 855-580-1802, United States)" in response.content.decode()


def test_four_decimal_places_are_kept_exactly(admin_client, seed_data):
    admin_client.post(reverse("dids:create"), {**seed_data, "monthly_fee": "0.0001", "cost_per_min": "12.3456"})
    did = DID.objects.get()
    assert did.monthly_fee.amount == Decimal("0.0001")
    assert did.cost_per_min.amount == Decimal("12.3456")


BAD_INPUT = [
    ("number", "18555801802x", "digits"),
    ("number", "1234", "not a possible phone number"),
    ("number", "", "required"),
    ("number", "phone", "digits"),
    ("buy_cost", "-1", "greater than or equal to 0"),
    ("setup_fee", "-0.01", "greater than or equal to 0"),
    ("monthly_fee", "1.23456", "no more than 4 decimal places"),
    ("monthly_fee", "1e3", "plain digits"),
    ("monthly_fee", "ten", "plain digits"),
    ("monthly_fee", "", "required"),
    ("monthly_fee", "99999999999", "less than or equal to"),
    ("connection_cost", "5,00", "plain digits"),
    ("increment", "0", "greater than or equal to 1"),
    ("increment", "1e3", "whole number"),
    ("billing_days", "0", "greater than or equal to 1"),
    ("billing_days", "99999", "less than or equal to 3650"),
    ("billing_days", "", "required"),
    ("billing_days", "2.5", "whole number"),
    ("call_timeout", "601", "less than or equal to 600"),
    ("grace_time", "-1", "greater than or equal to 0"),
    ("concurrent_calls", "-5", "greater than or equal to 0"),
    ("status", "deleted", "valid choice"),
    ("billing_type", "weekly", "valid choice"),
    ("country", "XX", "valid choice"),
]


@pytest.mark.parametrize("field,value,message", BAD_INPUT)
def test_bad_input_gets_a_message_next_to_the_field_and_nothing_is_written(
    admin_client, seed_data, field, value, message
):
    response = admin_client.post(reverse("dids:create"), {**seed_data, field: value})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field]).lower() or message in " ".join(form.errors[field])
    html = response.content.decode()
    # The message is rendered beside the field (crispy's invalid-feedback for that input)...
    assert f'id="error_1_id_{field}"' in html
    # ...and every other typed value is still in the form.
    assert 'value="Ahmedabad"' in html
    if value and field not in {"status", "billing_type", "country"}:
        assert f'value="{value}"' in html
    assert DID.objects.count() == 0


def test_duplicate_number_is_refused_even_in_another_format(admin_client, seed_data):
    DIDFactory(number="+18555801802")
    for typed in ("18555801802", "+1 855-580-1802", "001 855 580 1802", "(855) 580-1802"):
        # Read in the United States: in Hong Kong (the seed's Country) 001 is an international prefix of its own.
        response = admin_client.post(reverse("dids:create"), {**seed_data, "number": typed, "country": "US"})
        assert response.status_code == 200
        assert "already exists" in " ".join(response.context["form"].errors["number"])
        assert f'value="{typed}"' in response.content.decode()
    assert DID.objects.count() == 1


def test_the_database_refuses_a_duplicate_even_without_the_form(db, default_provider):
    from django.db import IntegrityError, transaction

    DIDFactory(number="+18555801802")
    with pytest.raises(IntegrityError), transaction.atomic():
        DIDFactory(number="+18555801802")


def test_missing_required_fields_each_get_a_message(admin_client, default_provider):
    response = admin_client.post(reverse("dids:create"), {"provider": default_provider.pk})
    errors = response.context["form"].errors
    for field in ("number", "monthly_fee", "billing_days"):
        assert "This field is required." in errors[field]
    assert DID.objects.count() == 0


def test_edit_keeps_the_number_unique_and_saves_changes(admin_client, seed_data):
    did = DIDFactory(number="+18555801802")
    other = DIDFactory(number="+12025550123")
    url = reverse("dids:edit", args=[did.pk])
    html = admin_client.get(url).content.decode()
    assert 'value="+18555801802"' in html and "Edit Product" in html
    response = admin_client.post(url, {**seed_data, "number": "+1 202 555 0123"})
    assert "already exists" in " ".join(response.context["form"].errors["number"])
    response = admin_client.post(url, {**seed_data, "monthly_fee": "21.5"})
    assert response.status_code == 302
    did.refresh_from_db()
    assert did.monthly_fee.amount == Decimal("21.5")
    other.refresh_from_db()
    assert other.number == "+12025550123"


def test_a_price_edit_goes_in_the_dids_history_with_old_and_new(admin_client, admin_user, seed_data):
    did = DIDFactory(number="+18555801802", setup_fee="5", monthly_fee="20")
    url = reverse("dids:edit", args=[did.pk])
    admin_client.post(url, {**seed_data, "city": "Surat"})
    assert not DIDHistory.objects.exists()  # no price changed, nothing to record
    assert admin_client.post(url, {**seed_data, "monthly_fee": "22"}).status_code == 302
    row = DIDHistory.objects.get(did=did, action="price_changed")
    assert (row.old_price.amount, row.price.amount) == (Decimal("20"), Decimal("22"))
    assert row.actor == admin_user and "20.0000 → 22.0000" in row.description
    assert row.description == ("Sell cost of the operator for all its buyers (product Edit): "
                               "setup 5.0000 → 5.0000, price 20.0000 → 22.0000")


def test_a_product_price_below_the_providers_cost_is_saved_with_a_warning(admin_client, seed_data):
    """The one below-cost rule (billing/prices/book.below_cost): the operator may, and is told."""
    response = admin_client.post(reverse("dids:create"), {**seed_data, "buy_cost": "25"}, follow=True)
    assert DID.objects.get().monthly_fee.amount == Decimal("20")
    assert "Below cost: the provider charges 25.0000 per period for this DID. Saved: the operator may sell below " \
           "cost." in [str(m) for m in response.context["messages"]]
    response = admin_client.post(reverse("dids:create"), {**seed_data, "number": "+12025550123"}, follow=True)
    assert not any("Below cost" in str(m) for m in response.context["messages"])


def test_delete_asks_first_and_removes_an_unheld_did(admin_client, db):
    did = DIDFactory()
    url = reverse("dids:delete", args=[did.pk])
    assert "Delete DID" in admin_client.get(url).content.decode()
    assert DID.objects.filter(pk=did.pk).exists()  # GET changes nothing
    response = admin_client.post(url)
    assert response.status_code == 302
    assert not DID.objects.filter(pk=did.pk).exists()


def test_a_held_did_cannot_be_deleted(admin_client, reseller_user):
    did = DIDFactory(holder=reseller_user.account)
    response = admin_client.post(reverse("dids:delete", args=[did.pk]), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert DID.objects.filter(pk=did.pk).exists()


def test_unknown_did_is_404(admin_client, db):
    assert admin_client.get(reverse("dids:edit", args=[999999])).status_code == 404
    assert admin_client.post(reverse("dids:delete", args=[999999])).status_code == 404


def test_only_the_seeds_starred_fields_are_required(admin_client, default_provider):
    response = admin_client.post(
        reverse("dids:create"), {"number": "18555801802", "monthly_fee": "20", "billing_days": "28"}
    )
    assert response.status_code == 302, response.context["form"].errors
    did = DID.objects.get()
    assert did.provider == default_provider
    assert (did.status, did.billing_type, did.call_timeout, did.increment) == ("active", "recurring", 30, 60)
    assert did.setup_fee.amount == 0


def test_money_fields_show_four_places_like_the_seed(admin_client, default_provider):
    did = DIDFactory(setup_fee="1", monthly_fee="5")
    html = admin_client.get(reverse("dids:edit", args=[did.pk])).content.decode()
    assert 'value="1.0000"' in html and 'value="5.0000"' in html
    assert "$" not in html


# --- the number read in the form's Country (dids/numbers.py) -----------------------------------------

@pytest.mark.parametrize("typed, country, stored, note", [
    # Was stored as +8555801803 (Cambodia) with Country United States.
    ("8555801803", "US", "+18555801803", "“8555801803” read as +1 855-580-1803, United States"),
    ("020 7946 0018", "GB", "+442079460018", "“020 7946 0018” read as +44 20 7946 0018, United Kingdom"),
    ("030 12345678", "DE", "+493012345678", "read as +49 30 12345678, Germany"),
    ("03-1234-5678", "JP", "+81312345678", "read as +81 3-1234-5678, Japan"),
    ("011 44 20 7946 0958", "US", "+442079460958", "read as +44 20 7946 0958, United Kingdom"),
    ("tel:+1-855-580-1802", "HK", "+18555801802", "“tel:+1-855-580-1802” read as +1 855-580-1802"),  # was refused
])
def test_the_did_is_read_in_the_forms_country_and_the_page_says_how(admin_client, seed_data, typed, country,
                                                                    stored, note):
    response = admin_client.post(reverse("dids:create"), {**seed_data, "number": typed, "country": country},
                                 follow=True)
    assert DID.objects.get().number == stored
    assert note in response.content.decode()


def test_an_ambiguous_number_says_which_reading_won(admin_client, seed_data):
    response = admin_client.post(reverse("dids:create"), {**seed_data, "number": "(646) 555-0111", "country": "US"},
                                 follow=True)
    assert DID.objects.get().number == "+16465550111"  # not +6465550111, New Zealand
    assert "not +64 6 555 0111, New Zealand" in response.content.decode()


def test_a_number_typed_as_stored_gets_no_note(admin_client, seed_data):
    response = admin_client.post(reverse("dids:create"), {**seed_data, "number": "+18555801802", "country": "US"},
                                 follow=True)
    assert "DID +1 855-580-1802 created." in response.content.decode() and "read as" not in response.content.decode()


def test_a_national_number_with_another_error_keeps_what_was_typed(admin_client, seed_data):
    response = admin_client.post(reverse("dids:create"), {**seed_data, "number": "(855) 580-1803", "country": "US",
                                                          "monthly_fee": "-1"})
    assert response.status_code == 200 and not DID.objects.exists()
    assert 'value="(855) 580-1803"' in response.content.decode()


def test_editing_keeps_the_stored_number_whatever_the_country(admin_client, seed_data):
    did = DIDFactory(number="+18555801802", country="HK")
    data = {**seed_data, "number": "+18555801802", "country": "KH", "city": "Phnom Penh"}
    assert admin_client.post(reverse("dids:edit", args=[did.pk]), data).status_code == 302
    did.refresh_from_db()
    assert (did.number, did.city) == ("+18555801802", "Phnom Penh")
