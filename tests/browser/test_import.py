"""The import in Chromium: the admin uploads a carrier's file from the DID list,
reads the preview (counts and the rejected rows), confirms, and lands on the
import's page; Show its DIDs lists exactly them; Undo import removes them."""

import pytest

from dids.models import DID, DIDImport
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARRIER_FILE = (
    "Number;Carrier;State;Monthly Fee;Setup\n"
    "+1 (855) 580-1802;default provider;TX;5,00;1\n"  # decimal comma: refused, with its line
    "+1 (855) 580-1803;default provider;TX;5.00;1\n"
    "+1 (855) 580-1804;default provider;\"NY; upstate\";2.5;0\n"
    "+1 (855) 580-1805;default provider;CA;2.5;0\n"
)


def test_admin_imports_a_carrier_file_and_undoes_it(page, default_provider, tmp_path, settings):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    DIDFactory(number="+18555801805")
    make_admin()
    path = tmp_path / "carrier.csv"
    path.write_text(CARRIER_FILE, encoding="utf-8-sig")
    browser_login(page, "admin", PASSWORD)

    page.goto("/dids/")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()

    counts = page.get_by_test_id("import-counts").inner_text()
    assert "Rows read\t4" in counts and "New\t2" in counts and "Duplicate\t1" in counts and "Invalid\t1" in counts
    errors = page.get_by_test_id("import-errors").inner_text()
    assert "2\t+1 (855) 580-1802\tMonthlyFee (USD): “5,00” has a comma" in errors
    assert "DID +18555801805 already exists" in errors
    assert not DID.objects.filter(number="+18555801803").exists()  # nothing before Confirm

    page.get_by_role("button", name="Import 2 DIDs").click()
    page.wait_for_url("**/dids/imports/*/")
    assert "2 DIDs created; 1 duplicate and 1 invalid rows not imported." in page.content()
    imported = DIDImport.objects.get()
    assert {d.number: d.province for d in imported.dids.all()} == {"+18555801803": "TX", "+18555801804": "NY; upstate"}

    page.get_by_role("link", name="Show its 2 DIDs").click()
    assert page.get_by_test_id("records-counter").inner_text() == "1 - 2 of 2 Records"
    page.go_back()
    page.get_by_role("link", name="Undo import").click()
    page.get_by_role("button", name="Delete 2 DIDs").click()
    assert "2 DIDs deleted" in page.content()
    assert list(DID.objects.values_list("number", flat=True)) == ["+18555801805"]
