"""The import in Chromium: the admin uploads a carrier's sheet from the DID list
(semicolon-separated, decimal commas, national numbers with their Country, MRC/NRC
prices), answers whose the prices are and corrects a column's use on the preview,
checks again, reads the counts, how the numbers were read and the rejected rows,
confirms, and lands on the import's page; Show its DIDs lists exactly them; Undo
import removes them."""

from decimal import Decimal

import pytest

from dids.models import DID, DIDImport
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARRIER_FILE = (
    "Number;Country;Carrier;State;MRC;NRC;Notes\n"
    "(855) 580-1802;US;default provider;TX;5,00;1;Dallas\n"  # decimal comma
    "(855) 580-1803;US;default provider;TX;5.00;1;\n"
    "(855) 580-1804;US;default provider;\"NY; upstate\";2,5;0;\n"
    "+1 (855) 580-1805;US;default provider;CA;2.5;0;\n"  # exists already
    "(855) 580-1806;US;default provider;CA;1.250;0;\n"  # 1250 or 1.25? refused, with its line
)


def test_admin_imports_a_carrier_sheet_and_undoes_it(page, default_provider, tmp_path, settings):
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

    # Nothing is checked before the carrier's prices are placed.
    assert "Whose prices are MRC, NRC?" in page.get_by_test_id("import-questions").inner_text()
    assert page.get_by_role("button", name="Import", exact=False).count() == 0
    matching = page.get_by_test_id("column-matching")
    assert matching.get_by_label("Use column 1 (Number) as").input_value() == "number"
    assert matching.get_by_label("Use column 5 (MRC) as").input_value() == ""

    page.get_by_label("our sell price", exact=False).check()
    matching.get_by_label("Use column 7 (Notes) as").select_option(label="City")
    page.get_by_role("button", name="Check again").click()

    counts = page.get_by_test_id("import-counts").inner_text()
    assert "Rows read\t5" in counts and "New\t3" in counts and "Duplicate\t1" in counts and "Invalid\t1" in counts
    assert page.get_by_test_id("column-matching").get_by_label("Use column 5 (MRC) as").input_value() == "monthly_fee"
    read_as = page.get_by_test_id("read-as").inner_text()
    assert "2\t(855) 580-1802\t+1 855-580-1802\tUnited States (US)\tread as +1 855-580-1802, United States" in read_as
    errors = page.get_by_test_id("import-errors").inner_text()
    assert "6\t(855) 580-1806\t+1 855-580-1806\tMonthlyFee (USD): “1.250” could be 1250 or 1,250" in errors
    assert "DID +1 855-580-1805 already exists" in errors
    assert not DID.objects.filter(number="+18555801803").exists()  # nothing before Confirm

    page.get_by_role("button", name="Import 3 DIDs").click()
    page.wait_for_url("**/dids/imports/*/")
    assert "3 DIDs created; 1 duplicate and 1 invalid rows not imported." in page.content()
    imported = DIDImport.objects.get()
    assert {d.number: (d.province, d.city, d.monthly_fee.amount, d.setup_fee.amount) for d in imported.dids.all()} == {
        "+18555801802": ("TX", "Dallas", Decimal("5"), Decimal("1")),
        "+18555801803": ("TX", "", Decimal("5"), Decimal("1")),
        "+18555801804": ("NY; upstate", "", Decimal("2.5"), Decimal("0")),
    }

    page.get_by_role("link", name="Show its 3 DIDs").click()
    assert page.get_by_test_id("records-counter").inner_text() == "1 - 3 of 3 Records"
    page.go_back()
    page.get_by_role("link", name="Undo import").click()
    page.get_by_role("button", name="Delete 3 DIDs").click()
    assert "3 DIDs deleted" in page.content()
    assert list(DID.objects.values_list("number", flat=True)) == ["+18555801805"]
