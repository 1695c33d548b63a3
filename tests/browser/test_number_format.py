"""Issue 17, "one way to show things": a DID reads +1 855-580-1802 on every page and message, as
admin, reseller and customer (DID list, Buy DIDs, Purchase, the flash after it, My DIDs, Edit Info,
audit trail, dashboard renewals), and no page shows the bare 18555801802 as text (links and search
values may keep the digits: only what a person reads is checked)."""

import re
from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOWN = "+1 855-580-1802"
BARE = re.compile(r"(?<![\d+])\+?1855580180\d(?!\d)")  # 18555801802 or +18555801802 as text


def _reads_formatted(page, where: str) -> str:
    """The page's visible text shows the DID formatted, and never as bare digits."""
    page.wait_for_load_state()
    text = page.locator("body").inner_text()
    assert SHOWN in text, f"{where}: {SHOWN} not shown"
    assert not BARE.findall(text), f"{where}: bare number {BARE.findall(text)} shown"
    return text


def _buy(page, where: str) -> None:
    """Buy DIDs -> the row of the DID -> Purchase -> Save -> the flash on My DIDs."""
    page.goto("/portal/dids/buy/")
    _reads_formatted(page, f"{where} Buy DIDs")
    page.locator("tr", has_text=SHOWN).get_by_role("link", name="Purchase").click()
    _reads_formatted(page, f"{where} Purchase")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portal/dids/")
    text = _reads_formatted(page, f"{where} My DIDs after the purchase")
    assert f"DID {SHOWN} purchased." in text  # the flash message


def test_every_role_reads_the_number_in_international_format(page, default_provider):
    make_admin()
    reseller = make_account_user(kind=Account.Kind.RESELLER, name="Reseller R")
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name="Customer C")
    add_funds(account_id=reseller.account_id, amount=Decimal("100"))
    add_funds(account_id=customer.account_id, amount=Decimal("30"))  # one period, not the renewal: "short" on admin's board
    did = DIDFactory(number="+18555801802", setup_fee="0", monthly_fee="20", billing_days=3)  # renews within 7 days

    # The reseller buys it: Buy DIDs, Purchase, the flash, My DIDs, its dashboard's renewals, Edit Info.
    browser_login(page, reseller.username, PASSWORD)
    _buy(page, "reseller")
    page.goto("/")
    assert SHOWN in page.get_by_test_id("next-renewals").inner_text()
    _reads_formatted(page, "reseller dashboard")
    page.goto(f"/portal/dids/{did.pk}/edit-info/")
    _reads_formatted(page, "reseller Edit Info")
    assert SHOWN in page.title()

    # Its customer buys it from the reseller: the same pages.
    page.context.clear_cookies()
    browser_login(page, customer.username, PASSWORD)
    _buy(page, "customer")
    page.goto("/")
    assert SHOWN in page.get_by_test_id("next-renewals").inner_text()
    _reads_formatted(page, "customer dashboard")
    page.goto(f"/portal/dids/{did.pk}/edit-info/")
    _reads_formatted(page, "customer Edit Info")

    # The admin: the DID list (and its search by digits still finds it), Edit Info, the audit trail, the dashboard.
    page.context.clear_cookies()
    browser_login(page, "admin", PASSWORD)
    for search in ("", "?number=18555801802", "?number=%2B1+855-580-1802"):
        page.goto(f"/dids/{search}")
        assert SHOWN in page.locator("tbody").inner_text(), search
        _reads_formatted(page, f"admin DID list {search}")
    page.goto(f"/dids/{did.pk}/edit-info/")
    _reads_formatted(page, "admin Edit Info")
    assert SHOWN in page.title()
    page.goto("/audit/")
    text = _reads_formatted(page, "admin audit trail")
    assert f"DID {SHOWN} bought by" in text  # the summaries, not only the DID column
    page.goto(f"/dids/{did.pk}/audit/")
    _reads_formatted(page, "admin audit trail of the DID")
    page.goto("/")
    assert SHOWN in page.get_by_test_id("renewals-short").inner_text()
    _reads_formatted(page, "admin dashboard")
