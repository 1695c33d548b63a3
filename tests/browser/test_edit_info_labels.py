"""Issue 17's "prices that read right" on Edit Info, in Chromium.

A DID whose provider charges 5.0000 sells at 5 + 20; reseller R1 buys it and sells it
on at 8 + 35 to its customer C. Each price on Edit Info carries one name: "Provider cost"
(the admin only), "You pay" (BUY COST) and "You charge" (SELL COST); R1's SELL COST
column no longer shows its buy price "Buy Cost (USD) 20.0000" beside a Price of 35.
C sells to nobody: its Edit Info has no SELL COST side at all."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal
ROWS = "table.edit-info > tbody:first-of-type th[scope=row]"


@pytest.fixture
def chain(default_provider):
    admin = make_admin()
    did = DIDFactory(number="+18555801802", buy_cost="5", setup_fee="5", monthly_fee="20", billing_days=28)
    r1 = make_account_user(name="Reseller One")
    c = make_account_user(Account.Kind.CUSTOMER, parent=r1.account, name="Customer C")
    for user in (r1, c):
        add_funds(account_id=user.account_id, amount=D("100"))
    purchase_did(buyer_id=r1.account_id, did_id=did.pk, purchase_key="r1", sell_setup_fee=D("8"), sell_price=D("35"))
    purchase_did(buyer_id=c.account_id, did_id=did.pk, purchase_key="c")
    return dict(admin=admin, did=did, r1=r1, c=c)


def _open(page, user, path):
    page.context.clear_cookies()
    browser_login(page, user.username, PASSWORD)
    page.goto(path)


def _headings(page) -> list[str]:
    return [" ".join(text.split()) for text in page.locator("table.edit-info thead th").all_inner_texts()]


def test_the_resellers_edit_info_names_what_it_pays_and_what_it_charges(page, chain):
    _open(page, chain["r1"], f"/portal/dids/{chain['did'].pk}/edit-info/")
    assert _headings(page) == ["DID Information", "BUY COST You pay", "SELL COST You charge"]
    assert page.locator(ROWS).all_inner_texts() == [
        "DID", "Setup Fee (USD)", "Price (USD)", "Billing Type", "Billing Days"]
    # The SELL COST column holds what R1 charges, never its own buy price beside it.
    assert page.locator("#id_sell_price").input_value() == "35.0000"
    assert page.get_by_test_id("buy-price").inner_text() == "20.0000"
    sell_side = " ".join(page.locator("table.edit-info > tbody:first-of-type td:nth-child(3)").all_inner_texts())
    assert "20.0000" not in sell_side
    body = page.locator("main").inner_text()
    assert "Buy Cost (USD)" not in body and "Provider cost" not in body  # the provider's cost is the admin's
    assert "You charge: what the accounts below you pay you" in page.get_by_test_id("price-names").inner_text()


def test_the_admin_sees_the_provider_cost_under_its_own_name(page, chain):
    _open(page, chain["admin"], f"/dids/{chain['did'].pk}/edit-info/")
    assert page.locator(ROWS).all_inner_texts() == [
        "DID", "Provider cost (USD)", "Setup Fee (USD)", "Price (USD)", "Billing Type", "Billing Days"]
    assert page.get_by_test_id("provider-cost").inner_text() == "5.0000"
    assert "Buy Cost (USD)" not in page.locator("table.edit-info").inner_text()

    # The admin on R1's own prices: what R1 pays, what it charges, and the provider's cost.
    page.goto(f"/dids/{chain['did'].pk}/edit-info/{chain['r1'].account_id}/")
    assert _headings(page) == ["DID Information", "BUY COST Reseller One pays", "SELL COST Reseller One charges"]
    assert page.get_by_test_id("provider-cost").inner_text() == "5.0000"
    assert page.get_by_test_id("buy-price").inner_text() == "20.0000"


def test_a_customer_sees_what_it_pays_and_no_sell_side(page, chain):
    _open(page, chain["c"], f"/portal/dids/{chain['did'].pk}/edit-info/")
    assert _headings(page) == ["DID Information", "BUY COST You pay"]
    assert page.get_by_test_id("buy-setup").inner_text() == "8.0000"
    assert page.get_by_test_id("buy-price").inner_text() == "35.0000"
    body = page.locator("main").inner_text()
    for absent in ("SELL COST", "You charge", "below you", "Sell to", "Buy Cost (USD)", "Provider cost"):
        assert absent not in body, absent
    assert page.locator("table.edit-info input").count() == 0
    assert page.get_by_role("button", name="Save").count() == 0
    # The call cost preview: what C pays per call, and no column for buyers it does not have.
    assert page.get_by_test_id("call-preview-table").locator("thead th").all_text_contents() == [
        "Duration", "You pay (USD)"]
