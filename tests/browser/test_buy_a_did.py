"""Issue 3's story in Chromium: the admin creates reseller R with credit limit 0 and
adds 100.00; R logs in, buys the seed DID (setup 5 + monthly 20) and sees 75.0000;
a DID it cannot afford is refused and nothing changes."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.models import Subscription
from dids.models import DID
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
R_PASSWORD = "Reseller-Pass-2026!"


def test_admin_creates_a_reseller_who_buys_the_seed_did(page, default_provider):
    make_admin()
    DIDFactory(number="+18555801802", country="HK", city="Ahmedabad", province="Gujarat",
               setup_fee="5", monthly_fee="20", billing_days=28, billing_type=DID.BillingType.ONE_TIME)
    DIDFactory(number="+12025550100", setup_fee="0", monthly_fee="500")

    # The admin creates R with credit limit 0...
    browser_login(page, "admin", PASSWORD)
    page.get_by_role("link", name="Accounts").first.click()
    page.get_by_role("link", name="Create Account").click()
    page.locator("#id_name").fill("Reseller R")
    page.locator("#id_kind").select_option("reseller")
    page.locator("#id_username").fill("resellerr")
    page.locator("#id_password1").fill(R_PASSWORD)
    page.locator("#id_password2").fill(R_PASSWORD)
    page.locator("#id_credit_limit").fill("0")
    page.locator("input[type=submit][name=save]").click()
    page.wait_for_load_state()
    account = Account.objects.get(name="Reseller R")
    assert account.credit_limit.amount == 0

    # ...and adds 100.00.
    page.goto(f"/accounts/manage/{account.pk}/")
    page.locator("#id_funds-amount").fill("100.00")
    page.get_by_role("button", name="Add Funds").click()
    page.wait_for_load_state()
    account.refresh_from_db()
    assert account.balance.amount == Decimal("100")

    # R logs in: DIDs is empty, Buy DIDs offers the seed DID.
    page.context.clear_cookies()
    browser_login(page, "resellerr", R_PASSWORD)
    page.get_by_role("link", name="DIDs", exact=True).first.click()
    assert "No Records" in page.locator("tbody").inner_text()
    page.get_by_role("link", name="Buy DIDs").last.click()
    row = page.locator("tr", has_text="+1 855-580-1802")
    assert "5.0000" in row.inner_text() and "20.0000" in row.inner_text()
    row.get_by_role("link", name="Purchase").click()

    # Edit Info: BUY COST is what will be charged.
    assert page.get_by_test_id("buy-setup").inner_text() == "5.0000"
    assert page.get_by_test_id("buy-price").inner_text() == "20.0000"
    assert page.get_by_test_id("charge-now").inner_text() == "25.0000 USD"
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portal/dids/")
    assert "+1 855-580-1802" in page.locator("tbody").inner_text()
    assert page.get_by_test_id("header-balance").inner_text() == "75.0000"

    # A DID it cannot afford: a clear message, nothing changes.
    page.get_by_role("link", name="Buy DIDs").last.click()
    page.locator("tr", has_text="+1 202-555-0100").get_by_role("link", name="Purchase").click()
    page.get_by_role("button", name="Save").click()
    message = page.get_by_test_id("purchase-error").inner_text()
    assert "Insufficient funds" in message and "needs 500.0000" in message and "75.0000 available" in message
    assert page.get_by_test_id("header-balance").inner_text() == "75.0000"
    account.refresh_from_db()
    assert account.balance.amount == Decimal("75")
    assert Subscription.objects.filter(account=account).count() == 1
