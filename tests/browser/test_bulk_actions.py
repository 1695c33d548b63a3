"""Bulk actions on the admin's DID list, done in Chromium the way an admin does them."""

import pytest

from dids.models import DIDHistory
from dids.models import DID
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_deactivates_two_checked_rows(page):
    make_admin()
    first, second, third = (DIDFactory(number=f"+1202555010{i}") for i in range(3))
    browser_login(page, "admin", PASSWORD)
    page.goto("/dids/")
    # Each row stays on one line at 1400 px, its buttons included.
    heights = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert max(heights) < 45, heights

    page.get_by_label("Select +1 202-555-0100").check()
    page.get_by_label("Select +1 202-555-0101").check()
    assert page.locator("#bulk-checked-count").inner_text() == "2 checked"
    page.get_by_label("Bulk action").select_option(label="Deactivate")
    page.get_by_role("button", name="Apply…").click()

    assert page.get_by_test_id("bulk-count").inner_text().startswith("This will change 2 DIDs")
    assert DID.objects.filter(status="inactive").count() == 0  # nothing yet
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/dids/")

    assert "Changed 2 DIDs." in page.get_by_role("alert").inner_text()
    assert page.locator("tbody tr", has_text="+1 202-555-0100").get_by_text("Inactive").is_visible()
    assert page.locator("tbody tr", has_text="+1 202-555-0102").get_by_text("Active", exact=True).is_visible()
    assert set(DID.objects.filter(status="inactive").values_list("pk", flat=True)) == {first.pk, second.pk}
    assert DIDHistory.objects.filter(did=third).count() == 0


def test_select_all_on_the_page_then_cancel_changes_nothing(page):
    make_admin()
    DIDFactory.create_batch(3)
    browser_login(page, "admin", PASSWORD)
    page.goto("/dids/")
    page.get_by_label("Select all on this page").check()
    assert page.locator("#bulk-checked-count").inner_text() == "3 checked"
    page.get_by_label("Bulk action").select_option(label="Change prices")
    page.get_by_role("button", name="Apply…").click()
    page.get_by_label("Setup Fee (USD)").fill("-1")
    page.get_by_role("button", name="Confirm").click()
    assert "greater than or equal to 0" in page.locator("#error_setup_fee").inner_text()
    assert page.get_by_label("Setup Fee (USD)").input_value() == "-1"
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url("**/dids/")
    assert DIDHistory.objects.count() == 0
