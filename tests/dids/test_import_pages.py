"""The import pages: upload, preview, confirm or cancel; ranges; the report; undo; who may do it."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.funds import add_funds
from billing.purchase import purchase_did
from billing_portal.money import money
from dids.importing import uploads
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
    assert rows == [["Line", "Reason", "DID", "MonthlyFee (USD)", "City"],
                    # "-1" would start a formula in a spreadsheet: written as Export CSV writes such text
                    ["3", "MonthlyFee (USD): -1 is negative.", "18555801803", "'-1", ""]]

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
    response = upload(admin_client, content=b"Number,Cost\n1,2\n")
    assert response.status_code == 200
    assert "missing: MonthlyFee (USD)" in response.context["form"].errors["file"][0]
    assert list(uploads.folder().iterdir()) == []


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
