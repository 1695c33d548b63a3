"""Issue 7 in Chromium: a customer opens its DID's Destination from DIDs, is told
what is wrong with a SIP URI carrying parameters, saves a good one, and asks the
call cost preview for a 47 s call (DESIGN.md's example: 0.4700)."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import Subscription
from billing.subscriptions.purchase import purchase_did
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_sets_its_destination_and_previews_a_call(page, default_provider):
    did = DIDFactory(number="+18555801802", connection_cost="0.05", grace_time=10, cost_per_min="0.60",
                     initial_increment=30, increment=6, call_timeout=30, concurrent_calls=25)
    r1 = make_account_user(name="Reseller One")
    c = make_account_user(Account.Kind.CUSTOMER, parent=r1.account, name="Customer C")
    for user in (r1, c):
        add_funds(account_id=user.account_id, amount=Decimal("100"))
    purchase_did(buyer_id=r1.account_id, did_id=did.pk, purchase_key="r1")
    purchase_did(buyer_id=c.account_id, did_id=did.pk, purchase_key="c")

    browser_login(page, c.username, PASSWORD)
    page.get_by_role("link", name="DIDs", exact=True).first.click()
    page.locator("tr", has_text="+1 855-580-1802").get_by_role("link", name="Destination").click()
    assert page.get_by_test_id("call-timeout").inner_text().startswith("30")
    assert page.get_by_test_id("concurrent-calls").inner_text().startswith("25")

    page.get_by_label("Call Type").select_option(label="SIP URI")
    page.get_by_label("Destination", exact=True).fill("sip:alice@pbx.example.com;transport=tcp>")
    page.get_by_role("button", name="Save").click()
    assert "no ;parameters" in page.locator("#error_destination").inner_text()
    assert Subscription.objects.get(account_id=c.account_id).destination == ""

    page.get_by_label("Destination", exact=True).fill("alice@pbx.example.com")
    page.get_by_role("button", name="Save").click()
    assert "now go to SIP URI sip:alice@pbx.example.com" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("current-destination").inner_text() == "SIP URI sip:alice@pbx.example.com"
    assert Subscription.objects.get(account_id=c.account_id).destination == "sip:alice@pbx.example.com"

    page.get_by_label("Duration (Sec.)").fill("47")
    page.get_by_role("button", name="Show cost").click()
    typed = page.get_by_test_id("call-preview-typed")
    assert typed.locator("td").all_inner_texts() == ["47 s", "0.4700"]
    assert "Destination set to SIP URI" in page.get_by_test_id("history").inner_text()

    page.get_by_role("button", name="Clear destination").click()
    assert page.get_by_test_id("current-destination").inner_text() == "No destination set yet"
