"""The import pages: upload, preview, confirm or cancel; ranges; the report; undo; who may do it."""

import csv
import html
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from core.money import money
from core.importing import uploads
from dids.models import DID, DIDImport
from tests.factories import DIDFactory

FILE = b"\xef\xbb\xbfDID,MonthlyFee (USD),City\n18555801802,5,\"Austin, TX\"\n18555801803,-1,\n18555801804,2.5,\n"


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")


def upload(client, content=FILE, provider=None, name="carrier.csv"):
    from dids.models import Provider

    provider = provider or Provider.objects.get(name="default provider")
    return client.post(reverse("dids:import"), {"file": SimpleUploadedFile(name, content, "text/csv"),
                                                "provider": provider.pk})


def token_of(response) -> str:
    return response.context["token"]


def test_upload_previews_then_confirm_imports(admin_client, default_provider, admin_user):
    response = upload(admin_client)
    assert response.status_code == 200 and not DID.objects.exists()  # the preview writes nothing
    report = response.context["report"]
    assert (report.rows_read, report.new, report.duplicates, report.invalid) == (3, 2, 0, 1)
    page = response.content.decode()
    assert "Import 2 DIDs" in page and "MonthlyFee (USD): -1 is negative." in page

    token = token_of(response)
    rejected = admin_client.get(reverse("dids:import_preview_errors", args=[token]))
    rows = list(csv.reader(io.StringIO(b"".join(rejected.streaming_content).decode())))
    # Since issue 14: "Read as", the number as it would be stored, after the reason.
    assert rows == [["Line", "Reason", "Read as", "DID", "MonthlyFee (USD)", "City"],
                    # "-1" would start a formula in a spreadsheet: written as Export CSV writes such text
                    ["3", "MonthlyFee (USD): -1 is negative.", "'+18555801803", "18555801803", "'-1", ""]]

    assert admin_client.get(reverse("dids:import_confirm", args=[token])).status_code == 405  # no writes by GET
    response = admin_client.post(reverse("dids:import_confirm", args=[token]), follow=True)
    imported = DIDImport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("dids:import_detail", args=[imported.pk])
    assert f"Import #{imported.pk}: 2 DIDs created; 1 invalid rows not imported." in response.content.decode()
    assert (imported.source, imported.filename, imported.created_by) == ("browser", "carrier.csv", admin_user)
    assert DID.objects.get(number="+18555801802").city == "Austin, TX"
    assert not uploads.upload_path(token).exists()  # the upload is not kept once imported
    report_rows = admin_client.get(reverse("dids:import_errors", args=[imported.pk]))
    assert b"-1 is negative" in b"".join(report_rows.streaming_content)
    # the preview is used up: confirming again imports nothing twice
    assert admin_client.post(reverse("dids:import_confirm", args=[token])).status_code == 404


def test_cancel_discards_the_upload(admin_client, default_provider):
    token = token_of(upload(admin_client))
    assert uploads.upload_path(token).exists()
    admin_client.post(reverse("dids:import_discard", args=[token]))
    assert not uploads.upload_path(token).exists() and not DID.objects.exists()


def test_a_file_that_cannot_be_read_is_refused_next_to_the_field(admin_client, default_provider):
    response = upload(admin_client, content=b"DID,MonthlyFee\n18555801802,5 \xe9t\xe9\n")
    assert response.status_code == 200
    assert "not UTF-8" in response.context["form"].errors["file"][0]
    assert list(uploads.folder().iterdir()) == []


def test_a_file_without_prices_is_previewed_with_the_question_not_refused(admin_client, default_provider):
    # Was refused next to the file field ("missing: MonthlyFee (USD)"); since issue 14 the preview asks.
    response = upload(admin_client, content=b"Number,Cost\n+18555801802,2\n")
    assert response.status_code == 200 and response.context["report"] is None
    page = response.content.decode()
    assert "No column is used as MonthlyFee (USD) and no value is given for rows without one." in page
    token = token_of(response)
    assert 'name="monthly_fee"' in page and reverse("dids:import_confirm", args=[token]) not in page
    assert not DID.objects.exists()


def test_a_preview_belongs_to_the_session_that_made_it(admin_client, client, default_provider):
    from tests.factories import make_admin

    token = token_of(upload(admin_client))
    client.force_login(make_admin("second"))
    assert client.post(reverse("dids:import_confirm", args=[token])).status_code == 404
    assert client.get(reverse("dids:import_preview_errors", args=[token])).status_code == 404
    assert not DID.objects.exists()


@pytest.mark.parametrize("name", ["dids:import", "dids:range", "dids:imports"])
def test_only_the_admin_may_import(reseller_client, client, name):
    assert reseller_client.get(reverse(name)).status_code == 403
    client.logout()
    assert client.get(reverse(name)).status_code == 302


def range_data(default_provider, **fields):
    data = {"first": "1 855 580 1800", "last": "", "count": "", "category": "DID", "provider": default_provider.pk,
            "country": "US", "status": "active", "monthly_fee": "2.5000", "billing_type": "recurring",
            "billing_days": "30"}
    return data | fields


def test_a_range_skips_existing_numbers(admin_client, default_provider):
    DIDFactory(number="+18555801803")
    response = admin_client.post(reverse("dids:range"), range_data(default_provider, last="18555801809"))
    report = response.context["report"]
    assert (report.rows_read, report.new, report.duplicates) == (10, 9, 1)
    admin_client.post(reverse("dids:import_confirm", args=[token_of(response)]))
    imported = DIDImport.objects.get()
    assert (imported.source, imported.created, imported.duplicates) == ("range", 9, 1)
    assert DID.objects.filter(import_batch=imported).count() == 9
    assert {d.monthly_fee.amount for d in DID.objects.filter(import_batch=imported)} == {money("2.5").amount}


@pytest.mark.parametrize("fields,field,message", [
    ({"last": "442071234567"}, "last", "as many digits as the first"),
    ({"last": "18555801700"}, "last", "must not be before the first"),
    ({"count": "100001"}, "count", "at most 100,000 numbers"),
    ({}, "count", "Give the last number or how many"),
    ({"first": "12"}, "first", "not a possible phone number"),
    ({"count": "5", "monthly_fee": "-1"}, "monthly_fee", "greater than or equal to 0"),
])
def test_a_bad_range_is_refused_next_to_the_field(admin_client, default_provider, fields, field, message):
    response = admin_client.post(reverse("dids:range"), range_data(default_provider, **fields))
    assert message in " ".join(response.context["form"].errors[field])
    assert not DID.objects.exists() and "token" not in response.context


def test_undo_deletes_the_import_while_nothing_is_sold(admin_client, default_provider):
    admin_client.post(reverse("dids:import_confirm", args=[token_of(upload(admin_client))]))
    imported = DIDImport.objects.get()
    confirm = admin_client.get(reverse("dids:import_undo", args=[imported.pk]))
    assert "Delete 2 DIDs" in confirm.content.decode() and DID.objects.count() == 2  # GET only asks
    admin_client.post(reverse("dids:import_undo", args=[imported.pk]))
    imported.refresh_from_db()
    assert imported.undone_at is not None and not DID.objects.exists()
    response = admin_client.post(reverse("dids:import_undo", args=[imported.pk]), follow=True)
    assert "was already undone" in response.content.decode()


def test_undo_is_refused_once_a_did_is_sold(admin_client, default_provider, reseller_user):
    admin_client.post(reverse("dids:import_confirm", args=[token_of(upload(admin_client))]))
    imported = DIDImport.objects.get()
    add_funds(account_id=reseller_user.account.pk, amount=D(100))
    purchase_did(buyer_id=reseller_user.account.pk, did_id=DID.objects.get(number="+18555801802").pk, purchase_key="k1")
    detail = admin_client.get(reverse("dids:import_detail", args=[imported.pk])).content.decode()
    assert "Cannot be undone: 1 of its DIDs has been sold." in detail
    response = admin_client.post(reverse("dids:import_undo", args=[imported.pk]), follow=True)
    assert "1 of its DIDs has been sold" in response.content.decode()
    assert DID.objects.count() == 2 and DIDImport.objects.get().undone_at is None


def test_imports_list_and_the_dids_of_one_import(admin_client, default_provider, django_assert_max_num_queries):
    DIDFactory(number="+18005550100")
    admin_client.post(reverse("dids:import_confirm", args=[token_of(upload(admin_client))]))
    imported = DIDImport.objects.get()
    with django_assert_max_num_queries(5):
        page = admin_client.get(reverse("dids:imports")).content.decode()
    assert f"#{imported.pk}" in page and "carrier.csv" in page
    listed = admin_client.get(reverse("dids:list"), {"import_batch": imported.pk}).context["page"].rows
    assert {d.number for d in listed} == {"+18555801802", "+18555801804"}


def test_the_preview_says_when_the_same_file_was_imported_before(admin_client, default_provider):
    admin_client.post(reverse("dids:import_confirm", args=[token_of(upload(admin_client))]))
    imported = DIDImport.objects.get()
    again = upload(admin_client, name="renamed.csv").content.decode()
    assert "This file was imported before as" in again and f"Import #{imported.pk}</a>" in again
    assert "was imported before" not in upload(admin_client, content=FILE + b"18555801809,1,\n").content.decode()


def test_a_range_typed_in_national_form_is_read_in_its_country(admin_client, default_provider):
    response = admin_client.post(reverse("dids:range"), range_data(default_provider, first="(855) 580-1800",
                                                                   last="(855) 580-1804"))
    report = response.context["report"]
    assert (report.rows_read, report.new) == (5, 5)  # was refused: +8555801800 is not a block of +1 numbers
    admin_client.post(reverse("dids:import_confirm", args=[token_of(response)]))
    assert sorted(DID.objects.values_list("number", flat=True)) == [f"+1855580180{n}" for n in range(5)]


# --- carrier sheets (issue 14): how the file is read, shown and changeable ------------------------------

def used_as(response) -> dict[str, str]:
    """Column name -> the field its select shows."""
    form = response.context["match_form"]
    return {name: form[key].value() for _, name, _, key in form.rows}


def check(client, token, data: dict):
    return client.post(reverse("dids:import_check", args=[token]), data)


def settings_of(response, **changes) -> dict:
    """What the preview's Check again form posts back unchanged (column choices and settings), with changes."""
    data = {key: response.context["match_form"][key].value() for _, _, _, key in response.context["match_form"].rows}
    form = response.context["settings_form"]
    for field in form:
        value = field.value()
        if value not in (None, ""):
            data[field.html_name] = value
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


def test_a_carrier_sheet_is_read_in_each_rows_country_and_the_preview_says_how(admin_client, default_provider):
    content = ("Number,Country,Price\n(855) 580-1803,US,5\n(646) 555-0111,US,5\n020 7946 0018,GB,4\n"
               "+1 855-580-1804,HK,4\n").encode()
    response = upload(admin_client, content=content)
    page = response.content.decode()
    readings = response.context["report"].readings
    assert (readings.national, readings.ambiguous, readings.mismatched) == (3, 1, 1)
    assert "+1 855-580-1803" in page and "+18555801803" not in page and "read as +1 855-580-1803, United States" in page
    assert "not +64 6 555 0111, New Zealand" in page
    assert "Hong Kong does not use calling code +1 (of +1 855-580-1804, United States)." in page
    assert used_as(response) == {"Number": "number", "Country": "country", "Price": "monthly_fee"}  # Price shown
    admin_client.post(reverse("dids:import_confirm", args=[token_of(response)]))
    assert {d.number: d.country.code for d in DID.objects.all()} == {
        "+18555801803": "US", "+16465550111": "US", "+442079460018": "GB", "+18555801804": "HK"}


NUMBER_LIST = b"Number,Rate Center,State,Notes\n(855) 580-1803,Toll free,,Austin\n(212) 555-0143,NEW YORK,NY,Bronx\n"


def test_a_number_list_gets_its_values_on_the_import_page(admin_client, default_provider):
    response = admin_client.post(reverse("dids:import"), {
        "file": SimpleUploadedFile("numbers.csv", NUMBER_LIST, "text/csv"), "provider": default_provider.pk,
        "country": "US", "monthly_fee": "3.5", "billing_days": "28", "status": "inactive",
    })
    assert response.context["report"].new == 2
    admin_client.post(reverse("dids:import_confirm", args=[token_of(response)]))
    did = DID.objects.get(number="+12125550143")
    assert (did.monthly_fee.amount, did.billing_days, did.status, did.city, did.province, did.country.code) == (
        D("3.5"), 28, "inactive", "NEW YORK", "NY", "US")


@pytest.mark.parametrize("field,value,message", [
    ("monthly_fee", "-1", "greater than or equal to 0"),
    ("monthly_fee", "1e3", "Enter an amount in plain digits"),
    ("billing_days", "0", "greater than or equal to 1"),
    ("setup_fee", "5.12345", "no more than 4 decimal places"),
    ("status", "suspended", "Select a valid choice"),
    ("country", "XX", "Select a valid choice"),
])
def test_values_for_rows_are_checked_as_create_product_checks_them(admin_client, default_provider, field, value,
                                                                   message):
    response = admin_client.post(reverse("dids:import"), {
        "file": SimpleUploadedFile("numbers.csv", NUMBER_LIST, "text/csv"), "provider": default_provider.pk,
        field: value})
    assert message in " ".join(response.context["form"].errors[field])
    assert "token" not in response.context and list(uploads.folder().iterdir()) == []


def test_check_again_changes_the_matching_and_confirm_imports_what_it_showed(admin_client, default_provider):
    response = upload(admin_client, content=NUMBER_LIST)
    token = token_of(response)
    assert used_as(response)["Notes"] == "" and response.context["report"] is None  # no MonthlyFee yet
    assert admin_client.get(reverse("dids:import_check", args=[token])).status_code == 405

    # "Notes" is the city; "Rate Center" is not used; a MonthlyFee and the country for every row.
    again = check(admin_client, token, settings_of(response, column_1="", column_3="city", monthly_fee="2",
                                                   country="US"))
    assert used_as(again) == {"Number": "number", "Rate Center": "", "State": "province", "Notes": "city"}
    assert again.context["report"].new == 2 and "Import 2 DIDs" in again.content.decode()
    assert not DID.objects.exists()  # a check writes nothing

    admin_client.post(reverse("dids:import_confirm", args=[token]))
    assert {d.number: (d.city, d.monthly_fee.amount) for d in DID.objects.all()} == {
        "+18555801803": ("Austin", D("2")), "+12125550143": ("Bronx", D("2"))}


def test_check_again_with_a_refused_value_shows_it_and_confirm_keeps_the_last_preview(admin_client, default_provider):
    response = upload(admin_client, content=NUMBER_LIST)
    token = token_of(response)
    checked = check(admin_client, token, settings_of(response, monthly_fee="2", country="US"))
    assert checked.context["report"].new == 2

    refused = check(admin_client, token, settings_of(checked, monthly_fee="-1", column_3="city"))
    assert refused.status_code == 200 and refused.context["report"] is None
    assert "greater than or equal to 0" in " ".join(refused.context["settings_form"].errors["monthly_fee"])
    assert "Import 2 DIDs" not in refused.content.decode()
    admin_client.post(reverse("dids:import_confirm", args=[token]))  # the last preview that was shown with counts
    assert {d.city for d in DID.objects.all()} == {"Toll free", "NEW YORK"}
    assert {d.monthly_fee.amount for d in DID.objects.all()} == {D("2")}


MRC_FILE = b"TN,MRC,NRC,Rate Center\n8555801803,1.25,3.00,Toll free\n"


def test_carrier_prices_wait_for_the_answer_on_the_preview(admin_client, default_provider):
    response = admin_client.post(reverse("dids:import"), {
        "file": SimpleUploadedFile("mrc.csv", MRC_FILE, "text/csv"), "provider": default_provider.pk, "country": "US"})
    page = response.content.decode()
    assert response.context["report"] is None and "Whose prices are MRC, NRC?" in page
    assert used_as(response) == {"TN": "number", "MRC": "", "NRC": "", "Rate Center": "city"}
    token = token_of(response)
    confirmed = admin_client.post(reverse("dids:import_confirm", args=[token]), follow=True)  # forged: no button
    assert "the preview still has questions" in confirmed.content.decode() and not DID.objects.exists()

    response = admin_client.post(reverse("dids:import"), {
        "file": SimpleUploadedFile("mrc.csv", MRC_FILE, "text/csv"), "provider": default_provider.pk, "country": "US"})
    token = token_of(response)
    sell = check(admin_client, token, settings_of(response, prices="sell"))
    assert used_as(sell) == {"TN": "number", "MRC": "monthly_fee", "NRC": "setup_fee", "Rate Center": "city"}
    cost = check(admin_client, token, settings_of(sell, prices="cost", monthly_fee="4"))
    assert used_as(cost) == {"TN": "number", "MRC": "buy_cost", "NRC": "", "Rate Center": "city"}
    assert "NRC: the provider's one-time charge has no field on a DID" in html.unescape(cost.content.decode())
    admin_client.post(reverse("dids:import_confirm", args=[token]))
    did = DID.objects.get()
    assert (did.buy_cost.amount, did.monthly_fee.amount, did.setup_fee.amount) == (D("1.25"), D("4"), D("0"))


def test_a_semicolon_file_with_decimal_commas_is_read(admin_client, default_provider):
    content = "Number;Country;Monthly Price;Setup\n030 12345678;DE;5,00;1.234,50\n".encode()
    response = upload(admin_client, content=content)
    assert response.context["report"].new == 1
    assert "amounts are read with a decimal comma" in response.content.decode()
    admin_client.post(reverse("dids:import_confirm", args=[token_of(response)]))
    did = DID.objects.get()
    assert (did.number, did.monthly_fee.amount, did.setup_fee.amount) == ("+493012345678", D("5"), D("1234.5"))


def test_a_header_field_longer_than_the_csv_limit_is_a_form_error(admin_client, default_provider):
    content = b"DID,MonthlyFee," + b"x" * 131_073 + b"\n18555801802,5,\n"  # answered HTTP 500
    response = upload(admin_client, content=content)
    assert response.status_code == 200
    assert "Line 1 is longer than 65,536 characters" in response.context["form"].errors["file"][0]
    quoted = b'DID,MonthlyFee,"' + b"x" * 131_073 + b'"\n18555801802,5,\n'
    assert "Line 1 is longer" in upload(admin_client, content=quoted).context["form"].errors["file"][0]
    assert list(uploads.folder().iterdir()) == []


def test_the_previews_rejected_rows_are_spreadsheet_safe(admin_client, default_provider):
    content = "DID,MonthlyFee,City\n18555801802,x,=cmd|' /C calc'!A0\n".encode()
    token = token_of(upload(admin_client, content=content))
    rejected = admin_client.get(reverse("dids:import_preview_errors", args=[token]))
    rows = list(csv.reader(io.StringIO(b"".join(rejected.streaming_content).decode())))
    assert rows[1][-1] == "'=cmd|' /C calc'!A0"  # was returned unchanged


def test_extra_posted_fields_change_nothing_but_the_import(admin_client, default_provider, reseller_user):
    other = DIDFactory(number="+18005550100")
    hostile = {"holder": reseller_user.account.pk, "import_batch": 999, "number": "+19995550000",
               "created_by": reseller_user.pk, "overrides": "{}", "used_as": "number", "ready": "1", "kind": "range",
               "filename": "x.csv", "column_99": "number", "token": "0" * 32}
    response = admin_client.post(reverse("dids:import"), {
        "file": SimpleUploadedFile("list.csv", NUMBER_LIST, "text/csv"), "provider": default_provider.pk,
        "monthly_fee": "1", "country": "US", **hostile})
    token = token_of(response)
    check(admin_client, token, settings_of(response, **hostile))
    admin_client.post(reverse("dids:import_confirm", args=[token]), hostile)
    imported = DIDImport.objects.get()
    assert (imported.filename, imported.created_by.username) == ("list.csv", "admin")
    created = DID.objects.filter(import_batch=imported)
    assert sorted(created.values_list("number", flat=True)) == ["+12125550143", "+18555801803"]
    assert not created.filter(holder__isnull=False).exists() and DID.objects.count() == 3
    other.refresh_from_db()
    assert other.import_batch is None


def test_check_again_is_only_for_a_files_preview(admin_client, default_provider):
    response = admin_client.post(reverse("dids:range"), range_data(default_provider, last="18555801801"))
    assert check(admin_client, token_of(response), {}).status_code == 404
