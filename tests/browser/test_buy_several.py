"""Issue 17, part 3: a reseller checks 3 numbers on Buy DIDs, confirms the total, buys all 3."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import Subscription
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_check_three_numbers_confirm_and_buy_them(page, default_provider):
    user = make_account_user(kind=Account.Kind.RESELLER)
    add_funds(account_id=user.account_id, amount=Decimal("100"))
    dids = [DIDFactory(number=f"+1855580180{i}", setup_fee="1", monthly_fee=str(10 + i)) for i in range(4)]
    browser_login(page, user.username, PASSWORD)
    page.goto("/portal/dids/buy/")
    for did in dids[:3]:
        page.get_by_label(f"Buy {did.shown}").check()
    page.get_by_role("button", name="Buy checked").click()
    assert page.get_by_test_id("buy-many-row").count() == 3
    assert page.get_by_test_id("buy-many-total").inner_text() == "36.0000"  # 11 + 12 + 13
    page.get_by_role("button", name="Buy all").click()
    page.wait_for_url("**/portal/dids/")
    assert "Bought 3 DIDs. Charged 36.0000 USD." in page.content()
    assert page.get_by_test_id("header-balance").inner_text() == "64.0000"
    assert set(Subscription.objects.filter(account_id=user.account_id).values_list("did_id", flat=True)) == {
        d.pk for d in dids[:3]}
