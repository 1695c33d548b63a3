"""Deactivate a provider in Chromium: the list's button opens a confirmation page that changes
nothing; Cancel goes back; the page's own button deactivates, and the list then offers Reactivate."""

from pathlib import Path

import pytest

from dids.models import Provider
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots/h_defects")


def test_deactivate_asks_first_then_acts(page, default_provider):
    make_admin()
    DIDFactory(provider=default_provider)
    browser_login(page, "admin", PASSWORD)
    page.goto("/dids/providers/")
    page.get_by_role("link", name="Deactivate").click()

    assert page.locator("h1").inner_text() == "Deactivate provider default provider?"
    assert "Its DIDs (1) stay in the catalogue" in page.locator("main").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "provider_confirm_1400.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
    page.screenshot(path=str(SHOTS / "provider_confirm_390.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    default_provider.refresh_from_db()
    assert default_provider.is_active

    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url("**/dids/providers/")
    assert Provider.objects.get(pk=default_provider.pk).is_active

    page.get_by_role("link", name="Deactivate").click()
    page.get_by_role("button", name="Deactivate").click()
    page.wait_for_url("**/dids/providers/")
    assert "deactivated" in page.locator("main").inner_text()
    assert not Provider.objects.get(pk=default_provider.pk).is_active
    assert page.get_by_role("link", name="Reactivate").count() == 1
