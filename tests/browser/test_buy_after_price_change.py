"""Issue 17: a purchase refused because the price changed re-shows the page with the new
price and a fresh key, so the next Save buys at the new price."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import Subscription
from dids.models import DID
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_save_after_a_price_change_buys_at_the_new_price(page, default_provider):
    user = make_account_user(kind=Account.Kind.RESELLER)
    add_funds(account_id=user.account_id, amount=Decimal("100"))
    did = DIDFactory(number="+18555801802", setup_fee="5", monthly_fee="20", billing_days=28)
    browser_login(page, user.username, PASSWORD)
    page.goto(f"/portal/dids/buy/{did.pk}/")
    assert page.get_by_test_id("buy-price").inner_text() == "20.0000"

    DID.objects.filter(pk=did.pk).update(monthly_fee=Decimal("30"))  # the operator changes it meanwhile
    page.get_by_role("button", name="Save").click()
    assert "changed a moment ago" in page.get_by_test_id("purchase-error").inner_text()
    assert page.get_by_test_id("buy-price").inner_text() == "30.0000"
    assert page.get_by_test_id("charge-now").inner_text() == "35.0000 USD"
    assert not Subscription.objects.filter(did=did).exists()

    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portal/dids/")
    assert page.get_by_test_id("header-balance").inner_text() == "65.0000"
    assert Subscription.objects.get(did=did).price.amount == Decimal("30")
