"""Issue 17: both import pages offer a sample CSV, and each sample is read by its importer as
it stands: every column matched, every row accepted."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from calls.importing.pipeline import rate_cdr_file
from dids.export import HEADER
from tests.calls.conftest import BOUGHT
from tests.factories import DIDFactory, make_account_user

SAMPLES = Path(settings.BASE_DIR) / "static" / "samples"
DID_SAMPLE = SAMPLES / "dids-sample.csv"
CDR_SAMPLE = SAMPLES / "cdrs-sample.csv"


@pytest.mark.django_db
@pytest.mark.parametrize("page, sample", [("dids:import", "dids-sample.csv"), ("calls:import", "cdrs-sample.csv")])
def test_import_page_links_its_sample(admin_client, page, sample):
    html = admin_client.get(reverse(page)).content.decode()
    assert f'href="/static/samples/{sample}" download' in html


def test_did_sample_has_every_column_export_csv_writes():
    assert DID_SAMPLE.read_text().splitlines()[0].split(",") == HEADER


@pytest.mark.django_db
def test_did_sample_previews_with_no_invalid_row(admin_client, default_provider, settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    upload = SimpleUploadedFile("dids-sample.csv", DID_SAMPLE.read_bytes(), "text/csv")
    response = admin_client.post(reverse("dids:import"), {"file": upload, "provider": default_provider.pk})
    report = response.context["report"]
    assert (report.rows_read, report.new, report.duplicates, report.invalid) == (3, 3, 0, 0)
    assert report.ignored_columns == []


@pytest.mark.django_db
def test_cdr_sample_rates_every_call_of_held_numbers(tmp_path):
    reseller = make_account_user(Account.Kind.RESELLER).account
    add_funds(account_id=reseller.pk, amount=100)
    for number in ("+18555801802", "+442079460018"):
        did = DIDFactory(number=number)
        purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key=f"k-{number}", now=BOUGHT)
    path = tmp_path / "cdrs-sample.csv"
    shutil.copy(CDR_SAMPLE, path)
    report = rate_cdr_file(path, write=False, time_zone="UTC")
    assert report.columns.layout == "Header line" and report.columns.ignored == []
    assert {"call_id", "started_at", "number", "billsec"} <= set(report.columns.positions)
    assert report.rows_read == 3 and report.invalid == 0 and report.first_errors == []
