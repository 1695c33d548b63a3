"""Issue 4's story in Chromium: the admin opens the seed DID's Edit Info, picks
reseller R1 and sets SELL COST 1.0000 + 5.0000 (the seed's Edit Info values);
R2 still sees and pays 25.0000 (setup 5 + monthly 20) and hands it back; R1 sees
6.0000 and is charged 6.0000; R1 sets its own sell cost for its customer C, and
C buys at that price."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import PriceOverride, Subscription
from dids.models import DID
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _buy_dids_row(page, digits):
    page.get_by_role("link", name="DIDs", exact=True).first.click()
    page.get_by_role("link", name="Buy DIDs").last.click()
    row = page.locator("tr", has_text=digits)
    return row.get_by_test_id("offer-setup").inner_text(), row.get_by_test_id("offer-price").inner_text(), row


def _buy_as(page, user, digits, setup, price, charge):
    """Log in as ``user``; Buy DIDs shows ``setup`` + ``price``, the Purchase page
    ``charge``; Save buys it."""
    _login_as(page, user)
    shown_setup, shown_price, row = _buy_dids_row(page, digits)
    assert (shown_setup, shown_price) == (setup, price)
    row.get_by_role("link", name="Purchase").click()
    assert page.get_by_test_id("charge-now").inner_text() == f"{charge} USD"
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portal/dids/")


def _login_as(page, user):
    page.context.clear_cookies()
    browser_login(page, user.username, PASSWORD)


def _balance(user) -> Decimal:
    return Account.objects.get(pk=user.account_id).balance.amount


def test_admin_prices_the_seed_did_for_r1_and_r1_resells_to_its_customer(page, default_provider):
    make_admin()
    did = DIDFactory(number="+18555801802", country="HK", city="Ahmedabad", province="Gujarat", buy_cost="5",
                     setup_fee="5", monthly_fee="20", billing_days=28, billing_type=DID.BillingType.RECURRING)
    r1 = make_account_user(name="Reseller One")
    r2 = make_account_user(name="Reseller Two")
    c = make_account_user(Account.Kind.CUSTOMER, parent=r1.account, name="Customer C")
    for user in (r1, r2, c):
        add_funds(account_id=user.account_id, amount=Decimal("100"))

    # The admin: DIDs -> Edit Info of the seed DID -> Sell to Reseller One -> 1.0000 + 5.0000 -> Save.
    browser_login(page, "admin", PASSWORD)
    page.get_by_role("link", name="DIDs", exact=True).click()  # from the dashboard, the admin's home
    page.locator("tr", has_text="+1 855-580-1802").get_by_role("link", name="Edit Info").click()
    assert page.get_by_test_id("buy-setup").inner_text() == "5.0000"
    assert page.get_by_test_id("buy-price").inner_text() == "20.0000"
    page.get_by_label("Sell to").select_option(label=f"Reseller One ({r1.account.number}, Reseller)")
    page.get_by_role("button", name="Show", exact=True).click()
    page.locator("#id_sell_setup_fee").fill("1.0000")
    page.locator("#id_sell_price").fill("5.0000")
    page.get_by_role("button", name="Save").click()
    assert "Sell cost saved for Reseller One" in page.locator(".alert-success").inner_text()
    override = PriceOverride.objects.get(buyer_id=r1.account_id)
    assert (override.setup_fee.amount, override.price.amount) == (Decimal("1"), Decimal("5"))
    assert "Reseller One" in page.get_by_test_id("history").inner_text()

    # R2 still sees and pays 25.0000; it hands the DID back so R1 can buy it.
    _buy_as(page, r2, "+1 855-580-1802", "5.0000", "20.0000", "25.0000")
    assert _balance(r2) == Decimal("75")
    page.locator("tr", has_text="+1 855-580-1802").locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete").click()  # the no-refund confirmation
    page.wait_for_url("**/portal/dids/")

    # R1 sees 6.0000 (1 + 5) and is charged 6.0000.
    _buy_as(page, r1, "+1 855-580-1802", "1.0000", "5.0000", "6.0000")
    assert page.get_by_test_id("header-balance").inner_text() == "94.0000"
    assert _balance(r1) == Decimal("94")

    # R1: Edit Info -> Sell to Customer C -> 2.0000 + 9.0000 -> Save.
    page.locator("tr", has_text="+1 855-580-1802").get_by_role("link", name="Edit Info").click()
    assert page.get_by_test_id("buy-setup").inner_text() == "1.0000"
    assert page.get_by_test_id("buy-price").inner_text() == "5.0000"
    page.get_by_label("Sell to").select_option(label=f"Customer C ({c.account.number}, Customer)")
    page.get_by_role("button", name="Show", exact=True).click()
    # Below its own buy cost first: refused next to the field, nothing saved.
    page.locator("#id_sell_price").fill("4.0000")
    page.get_by_role("button", name="Save").click()
    assert "cannot be below the buy cost" in page.locator(".invalid-feedback").inner_text()
    assert not PriceOverride.objects.filter(buyer_id=c.account_id).exists()
    page.locator("#id_sell_setup_fee").fill("2.0000")
    page.locator("#id_sell_price").fill("9.0000")
    page.get_by_role("button", name="Save").click()
    assert "Sell cost saved for Customer C" in page.locator(".alert-success").inner_text()

    # C buys at R1's price for it: 11.0000; R1 is credited the same.
    _buy_as(page, c, "+1 855-580-1802", "2.0000", "9.0000", "11.0000")
    assert page.get_by_test_id("header-balance").inner_text() == "89.0000"
    assert _balance(r1) == Decimal("105")
    c_sub = Subscription.objects.get(account_id=c.account_id, status="active")
    assert (c_sub.setup_fee.amount, c_sub.price.amount) == (Decimal("2"), Decimal("9"))
    assert c_sub.parent.account_id == r1.account_id and c_sub.did_id == did.pk
