"""Issue 16's story in Chromium: a reseller logs in, creates a customer with its login, records
a payment of 50.0000 from it, sets its sell cost for that customer on one of its DIDs; the
customer logs in and buys that DID at that price; the reseller sees the sale on the customer's
statement and its own margin; another reseller gets 404 on that customer's pages."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.purchase import purchase_did
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
C_PASSWORD = "Customer-Pass-2026!"


def _log_in(page, username, password=PASSWORD):
    page.context.clear_cookies()
    browser_login(page, username, password)


def test_a_reseller_runs_its_business_in_the_portal(page, default_provider):
    # Reseller One holds the seed DID, bought from the operator at 1.0000 + 4.0000.
    reseller = make_account_user(name="Reseller One")
    other = make_account_user(name="Reseller Two")
    did = DIDFactory(number="+18555801802", country="HK", city="Ahmedabad", province="Gujarat",
                     setup_fee="1", monthly_fee="4", billing_days=28)
    add_funds(account_id=reseller.account_id, amount=Decimal("100"))
    purchase_did(buyer_id=reseller.account_id, did_id=did.pk, purchase_key="r1-buys-the-seed-did", by=reseller)

    # The reseller creates its customer with a login...
    _log_in(page, reseller.username)
    page.get_by_role("link", name="Customers", exact=True).click()
    assert "No customers yet." in page.get_by_test_id("no-customers").inner_text()
    page.get_by_role("link", name="Create Customer").click()
    assert page.get_by_test_id("password-rules").is_visible()
    page.locator("#id_name").fill("Customer C")
    page.locator("#id_username").fill("customer-c")
    page.locator("#id_email").fill("c@example.com")
    page.locator("#id_password1").fill(C_PASSWORD)
    page.locator("#id_password2").fill(C_PASSWORD)
    page.locator("#id_credit_limit").fill("0")
    page.locator("input[type=submit][name=save]").click()
    page.wait_for_load_state()
    customer = Account.objects.get(name="Customer C")
    assert customer.parent_id == reseller.account_id and customer.kind == "customer"
    assert "created with account number" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("account-balance").inner_text() == "0.0000 USD"

    # ...records the payment of 50.0000 it received: the customer's balance, not its own.
    page.get_by_role("link", name="Record Payment").click()
    page.locator("#id_amount").fill("50.0000")
    page.locator("#id_reference").fill("Bank transfer 4711")
    page.get_by_role("button", name="Record Payment").click()
    page.wait_for_url(f"**/portal/customers/{customer.number}/")
    assert "Payment of 50.0000 USD recorded" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("account-balance").inner_text() == "50.0000 USD"
    assert page.get_by_test_id("header-balance").inner_text() == "95.0000"  # 100 - 5, unchanged by the payment

    # ...and sets its sell cost for this customer on the seed DID: 2.0000 + 10.0000.
    page.get_by_role("link", name="DIDs", exact=True).first.click()
    page.locator("tr", has_text="+1 855-580-1802").get_by_role("link", name="Edit Info").click()
    page.get_by_label("Sell to").select_option(label=f"Customer C ({customer.number}, Customer)")
    page.get_by_role("button", name="Show", exact=True).click()
    page.locator("#id_sell_setup_fee").fill("2.0000")
    page.locator("#id_sell_price").fill("10.0000")
    page.get_by_role("button", name="Save").click()
    assert "Sell cost saved for Customer C" in page.locator(".alert-success").inner_text()

    # The customer logs in and buys the DID at that price: 12.0000 of its 50.0000.
    _log_in(page, "customer-c", C_PASSWORD)
    page.get_by_role("link", name="Buy DIDs").last.click()
    row = page.locator("tr", has_text="+1 855-580-1802")
    assert (row.get_by_test_id("offer-setup").inner_text(), row.get_by_test_id("offer-price").inner_text()) == (
        "2.0000", "10.0000")
    row.get_by_role("link", name="Purchase").click()
    assert page.get_by_test_id("charge-now").inner_text() == "12.0000 USD"
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portal/dids/")
    assert page.get_by_test_id("header-balance").inner_text() == "38.0000"

    # The reseller sees the sale on the customer's statement...
    _log_in(page, reseller.username)
    assert page.get_by_test_id("header-balance").inner_text() == "107.0000"  # 95 + the sale of 12
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name="Customer C").click()
    page.get_by_test_id("account-actions").get_by_role("link", name="Statement").click()
    assert page.get_by_test_id("statement-balance").inner_text() == "38.0000"
    lines = [row.inner_text() for row in page.locator("tbody tr").all()]
    assert len(lines) == 3
    assert "DID price" in lines[0] and "-10.0000" in lines[0] and "38.0000" in lines[0]
    assert "Setup fee" in lines[1] and "-2.0000" in lines[1] and "48.0000" in lines[1]
    assert "Payment received" in lines[2] and "Bank transfer 4711" in lines[2] and "50.0000" in lines[2]

    # ...and its own margin: it earns 10.0000 a period from the customer and pays 4.0000 for the DID,
    # per month (issue 17: x 30.44 / 28 days); the setup fees, 2.0000 earned and 1.0000 paid, apart.
    page.get_by_role("link", name="Margins").click()
    assert page.get_by_test_id("total-pays").inner_text() == "4.3486"
    assert page.get_by_test_id("total-earns").inner_text() == "10.8714"
    assert page.get_by_test_id("total-margin").inner_text() == "6.5228"
    assert page.get_by_test_id("total-setup-earned").inner_text() == "2.0000"
    assert page.get_by_test_id("total-setup-paid").inner_text() == "1.0000"
    assert "Customer C" in page.get_by_test_id("row-18555801802").inner_text()

    # Another reseller: 404 on each of that customer's pages.
    _log_in(page, other.username)
    for path in ("", "statement/", "dids/", "calls/", "payment/", "edit/"):
        response = page.goto(f"/portal/customers/{customer.number}/{path}")
        assert response.status == 404, path
    assert "Customer C" not in page.goto("/portal/customers/").text()

    # The books, exactly.
    entries = list(LedgerEntry.objects.filter(account=customer).order_by("seq").values_list("kind", "amount"))
    assert entries == [("payment", Decimal("50")), ("setup_fee", Decimal("-2")), ("did_price", Decimal("-10"))]
    for account_id in (customer.pk, reseller.account_id):
        assert Account.objects.get(pk=account_id).balance.amount == ledger_sum(account_id)
    sub = Subscription.objects.get(account=customer, status="active")
    assert (sub.setup_fee.amount, sub.price.amount, sub.did_id) == (Decimal("2"), Decimal("10"), did.pk)
