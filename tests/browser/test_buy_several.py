"""Issue 17, part 3: a reseller checks 3 numbers on Buy DIDs, confirms the total, buys all 3; and when one
of them sells to someone else while the confirmation page is open, buys none."""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import Subscription
from billing.subscriptions.purchase import purchase_did
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


def test_one_sold_to_someone_else_mid_way_buys_none(page, default_provider):
    """The confirmation page is open; a rival buys one of the three; Buy all buys nothing, says why,
    and shows the two still for sale with their new total."""
    user = make_account_user(kind=Account.Kind.RESELLER)
    rival = make_account_user(kind=Account.Kind.RESELLER, name="Rival")
    for account_id in (user.account_id, rival.account_id):
        add_funds(account_id=account_id, amount=Decimal("100"))
    dids = [DIDFactory(number=f"+1855580180{i}", setup_fee="1", monthly_fee=str(10 + i)) for i in range(3)]
    browser_login(page, user.username, PASSWORD)
    page.goto("/portal/dids/buy/")
    for did in dids:
        page.get_by_label(f"Buy {did.shown}").check()
    page.get_by_role("button", name="Buy checked").click()
    assert page.get_by_test_id("buy-many-total").inner_text() == "36.0000"

    purchase_did(buyer_id=rival.account_id, did_id=dids[1].pk, purchase_key="rival")  # sold in the meantime
    page.get_by_role("button", name="Buy all").click()

    assert "Nothing was bought" in page.get_by_test_id("buy-many-error").inner_text()
    assert page.get_by_test_id("buy-many-row").count() == 2  # what is still for sale
    assert page.get_by_test_id("buy-many-total").inner_text() == "24.0000"  # 11 + 13: the 12 is gone
    assert not Subscription.objects.filter(account_id=user.account_id).exists()
    assert Account.objects.get(pk=user.account_id).balance.amount == Decimal("100")
