"""The seed's Create Product, typed by an admin in Chromium."""

import pytest

from dids.models import DID
from tests.conftest import browser_login
from tests.factories import PASSWORD, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_the_seed_product_and_finds_it_in_the_list(page, default_provider):
    make_admin()
    browser_login(page, "admin", PASSWORD)
    page.get_by_role("link", name="DIDs", exact=True).click()  # from the dashboard, the admin's home
    page.get_by_role("link", name="Create Product").click()
    assert page.get_by_label("Product Category").input_value() == "DID"
    page.get_by_label("DID").fill("18555801802")
    # The default provider is preselected, shown like the seed.
    provider = page.get_by_label("Provider")
    assert provider.locator("option:checked").inner_text() == "default provider (3673942894)"
    page.get_by_label("Country").select_option(label="Hong Kong")
    page.get_by_label("Buy Cost (USD)").fill("5")
    page.get_by_label("City").fill("Ahmedabad")
    page.get_by_label("Province").fill("Gujarat")
    page.get_by_label("Status").select_option(label="Active")
    page.get_by_label("Connection Cost (USD)").fill("5")
    page.get_by_label("Grace Time (Sec.)").fill("6")
    page.get_by_label("Cost/Min(USD)").fill("1")
    page.get_by_label("Initial Increment").fill("6")
    page.locator("#id_increment").fill("6")  # "Increment" alone also matches "Initial Increment"
    page.get_by_label("Setup Fee (USD)").fill("5")
    page.get_by_label("MonthlyFee (USD)").fill("20")
    page.get_by_label("Call Timeout (Sec.)").fill("30")
    page.get_by_label("Billing Type").select_option(label="One Time")
    page.get_by_label("Billing Days").fill("28")
    page.get_by_label("Concurrent Calls").fill("25")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/dids/?number=18555801802")

    assert page.get_by_test_id("records-counter").inner_text() == "1 - 1 of 1 Records"
    row = page.locator("tbody tr").first
    assert "+1 855-580-1802" in row.inner_text()
    assert "Hong Kong" in row.inner_text() and "20.0000" in row.inner_text()
    did = DID.objects.get()
    assert did.number == "+18555801802" and did.monthly_fee.amount == 20


def test_bad_input_shows_the_message_beside_the_field_in_the_browser(page, default_provider):
    make_admin()
    browser_login(page, "admin", PASSWORD)
    page.goto("/dids/create/")
    page.get_by_label("DID").fill("1234")
    page.get_by_label("MonthlyFee (USD)").fill("1e3")
    page.get_by_label("City").fill("Ahmedabad")
    page.get_by_role("button", name="Save").click()
    assert "not a possible phone number" in page.locator("#error_1_id_number").inner_text()
    assert "plain digits" in page.locator("#error_1_id_monthly_fee").inner_text()
    assert page.get_by_label("City").input_value() == "Ahmedabad"
    assert page.get_by_label("DID").input_value() == "1234"
    assert DID.objects.count() == 0
