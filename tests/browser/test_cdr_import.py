"""Call charging in Chromium: the admin uploads a switch's CDR file, reads the preview
(calls to charge, the total, the rejected rows), charges it, and the customer finds
each call on its Calls page and the day's total on its statement."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from core.money import money
from calls.models import CallCharge
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_charges_a_cdr_file_and_the_customer_sees_its_calls(page, tmp_path, settings):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    did = DIDFactory(number="+18555801802", connection_cost=money(Decimal("0.05")), grace_time=10,
                     cost_per_min=money(Decimal("0.60")), initial_increment=30, increment=6)
    customer = make_account_user(Account.Kind.CUSTOMER)
    add_funds(account_id=customer.account_id, amount=Decimal("50"))
    bought = timezone.now() - timedelta(days=1)
    purchase_did(buyer_id=customer.account_id, did_id=did.pk, purchase_key="k1", now=bought)
    make_admin()
    start = (bought + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    path = tmp_path / "cdrs.csv"
    path.write_text("uuid,start_stamp,destination_number,billsec,duration\n"
                    f"9f1c-1,{start},18555801802,47,55\n"
                    f"9f1c-2,{start},18555801802,15,20\n"
                    f"9f1c-3,{start},18009990000,15,20\n")

    browser_login(page, "admin", PASSWORD)
    page.goto("/calls/")
    page.get_by_role("link", name="Import CDRs").click()
    page.get_by_label("CDR file (CSV)").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()
    counts = page.get_by_test_id("import-counts").inner_text()
    assert "Calls to charge\t2" in counts and "First holders pay (USD)\t0.8200" in counts and "Rejected\t1" in counts
    assert "4\t9f1c-3\tDID: +1 800-999-0000 is not one of our DIDs." in page.get_by_test_id("import-errors").inner_text()
    assert not CallCharge.objects.exists()

    page.get_by_role("button", name="Charge 2 calls").click()
    page.wait_for_url("**/calls/imports/*/")
    assert "2 calls charged; 0 already charged; 1 rejected." in page.content()

    page.context.clear_cookies()
    browser_login(page, customer.username, PASSWORD)
    page.goto("/portal/calls/")
    calls = page.get_by_test_id("calls").inner_text()
    assert "9f1c-1\t+1 855-580-1802\t47\t0.4700" in calls and "9f1c-2\t+1 855-580-1802\t15\t0.3500" in calls
    page.get_by_role("link", name="Statement").first.click()
    assert "2 calls to +1 855-580-1802" in page.content()


def test_admin_imports_a_berlin_asterisk_master_csv_and_checks_again(page, tmp_path, settings):
    """Issue 14: Asterisk's Master.csv as written (no header, 17 columns, local time, 10-digit DIDs,
    a Dial attempt before the answered one), read with the page's Format, Time zone and Country."""
    from zoneinfo import ZoneInfo

    from calls.models import Call
    from tests.calls.switch_files import master_csv_line

    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    did = DIDFactory(number="+18555801802", connection_cost=money(Decimal("0.05")), grace_time=10,
                     cost_per_min=money(Decimal("0.60")), initial_increment=30, increment=6)
    customer = make_account_user(Account.Kind.CUSTOMER)
    add_funds(account_id=customer.account_id, amount=Decimal("50"))
    bought = timezone.now() - timedelta(days=1)
    purchase_did(buyer_id=customer.account_id, did_id=did.pk, purchase_key="k1", now=bought)
    make_admin()
    berlin = (bought + timedelta(hours=1)).astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None, microsecond=0)
    path = tmp_path / "Master.csv"
    path.write_text(master_csv_line(dst="8555801802", start=berlin, billsec=0, uniqueid="1764666202.42")
                    + master_csv_line(dst="8555801802", start=berlin, billsec=300, uniqueid="1764666202.42"))

    browser_login(page, "admin", PASSWORD)
    page.goto("/calls/import/")
    page.get_by_label("CDR file (CSV)").set_input_files(str(path))
    page.get_by_label("Format").select_option("asterisk")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Preview").click()
    reading = page.get_by_test_id("import-reading").inner_text()
    assert "Asterisk Master.csv, 17 columns (loguniqueid)" in reading and "read in Europe/Berlin" in reading
    assert f"First call\t{berlin:%Y-%m-%d %H:%M:%S} CE" in reading  # CET or CEST
    # Without a Country the ten digits are no DID of ours: choose United States and check again.
    assert "Nothing to charge." in page.content()
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Check again").click()
    counts = page.get_by_test_id("import-counts").inner_text()
    assert "Calls to charge\t1" in counts and "Other legs\t1" in counts and "First holders pay (USD)\t2.9900" in counts

    page.get_by_role("button", name="Charge 1 call").click()
    page.wait_for_url("**/calls/imports/*/")
    assert "1 call charged; 0 already charged; 0 rejected. 1 other leg of these calls, not charged." in page.content()
    summary = page.get_by_test_id("import-summary").inner_text()
    assert "Other legs\t1" in summary and "read in Europe/Berlin" in summary
    call = Call.objects.get()
    answered = (bought + timedelta(hours=1)).replace(microsecond=0)
    assert (call.call_id, call.billsec, call.started_at) == ("1764666202.42", 300, answered)
