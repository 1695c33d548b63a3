"""Issue 17, "one way to show things": counts and money with thousands separators, countries
by their everyday name ("United States", never "US" or "United States of America"), on the
pages of each role, in Chromium."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from dids.models import DID
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "United States"


def _country_cells(page):
    """The table cells that name a country: the everyday name only."""
    assert page.get_by_role("cell", name=NAME, exact=True).count() >= 1
    assert page.get_by_role("cell", name="US", exact=True).count() == 0
    assert page.get_by_role("cell", name="United States of America", exact=True).count() == 0


def test_counts_money_and_country_names_read_the_same_on_every_page(page, default_provider):
    make_admin()
    reseller = make_account_user(kind=Account.Kind.RESELLER)
    mine = DIDFactory(number="+18555801802", country="US", provider=default_provider,
                      setup_fee=Decimal("5"), monthly_fee=Decimal("1234.5"))
    DID.objects.bulk_create(DIDFactory.build(number=f"+1646{2_000_000 + i}", country="US", provider=default_provider)
                            for i in range(1_199))
    add_funds(account_id=reseller.account_id, amount=Decimal("13584.5"))  # 12,345 once mine is paid (5 + 1,234.5)
    purchase_did(buyer_id=reseller.account_id, did_id=mine.pk, purchase_key="display-format")

    # The admin: 1,200 DIDs counted, money grouped, the country by name.
    browser_login(page, "admin", PASSWORD)
    page.goto("/dids/")
    assert "of 1,200 Records" in page.get_by_test_id("records-counter-top").inner_text()
    page.goto("/dids/?number=18555801802")
    _country_cells(page)
    assert page.get_by_role("cell", name="1,234.5000", exact=True).count() == 1  # its MonthlyFee
    page.goto("/")
    assert page.get_by_test_id("value-dids-free").inner_text() == "1,199"
    page.goto("/dids/create/")
    country = page.get_by_label("Country")
    assert country.locator("option[value=US]").inner_text() == NAME
    country.select_option(label=NAME)  # the label a person looks for

    # The reseller: its balance of 12,345.0000 on the header and the dashboard; Buy DIDs and My DIDs name the country.
    page.context.clear_cookies()
    browser_login(page, reseller.username, PASSWORD)
    assert page.get_by_test_id("header-balance").inner_text() == "12,345.0000"
    assert page.get_by_test_id("value-balance").inner_text() == "12,345.0000"
    page.goto("/portal/dids/buy/")
    assert "of 1,199 Records" in page.get_by_test_id("records-counter").inner_text()
    _country_cells(page)
    assert page.get_by_label("Country").locator("option[value=US]").inner_text() == NAME
    page.goto("/portal/dids/")
    _country_cells(page)
    assert page.get_by_role("cell", name="1,234.5000", exact=True).count() >= 1  # what it pays per period
    page.goto("/portal/statement/")
    assert page.get_by_role("cell", name="12,345.0000", exact=True).count() >= 1  # the running balance
