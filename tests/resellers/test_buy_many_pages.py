"""Issue 17, part 3: Buy several from Buy DIDs: the checked numbers (or those matching the search),
one confirmation page with each price and the total, then all bought or none."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import Subscription
from billing.subscriptions.purchase import purchase_did
from dids.models import DID
from tests.factories import DIDFactory, make_account_user


@pytest.fixture
def three(db):
    return [DIDFactory(number=f"+1855580180{i}", setup_fee="1", monthly_fee="10") for i in range(3)]


def _confirm(client, dids):
    return client.post(reverse("resellers:buy_many"), {"did": [d.pk for d in dids]})


def test_confirmation_lists_each_price_and_the_total_then_buys_once(reseller_client, reseller_user, three):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("100"))
    page = _confirm(reseller_client, three)
    html = page.content.decode()
    assert page.status_code == 200 and "+1 855-580-1800" in html and 'data-testid="buy-many-total">33.0000' in html
    assert not Subscription.objects.exists()  # the confirmation page buys nothing
    key = page.context["key"]
    assert reseller_client.post(reverse("resellers:buy_many"), {"key": key}).status_code == 302
    assert reseller_client.post(reverse("resellers:buy_many"), {"key": key}).status_code == 302  # double submit
    assert Subscription.objects.filter(account_id=reseller_user.account_id).count() == 3
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == Decimal("67")


def test_one_sold_meanwhile_buys_none_and_reshows_what_is_left(reseller_client, reseller_user, three):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("100"))
    key = _confirm(reseller_client, three).context["key"]
    other = make_account_user(name="Other")
    add_funds(account_id=other.account_id, amount=Decimal("100"))
    purchase_did(buyer_id=other.account_id, did_id=three[0].pk, purchase_key="o")
    page = reseller_client.post(reverse("resellers:buy_many"), {"key": key})
    assert page.status_code == 409 and "Nothing was bought" in page.context["error"]
    assert len(page.context["rows"]) == 2 and page.context["key"] != key
    assert not Subscription.objects.filter(account_id=reseller_user.account_id).exists()
    assert reseller_client.post(reverse("resellers:buy_many"), {"key": page.context["key"]}).status_code == 302
    assert Subscription.objects.filter(account_id=reseller_user.account_id).count() == 2


def test_price_changed_before_confirm_is_refused_and_reshown_with_new_prices(reseller_client, reseller_user, three):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("100"))
    key = _confirm(reseller_client, three).context["key"]
    DID.objects.filter(pk=three[1].pk).update(monthly_fee=Decimal("20"))
    page = reseller_client.post(reverse("resellers:buy_many"), {"key": key})
    assert page.status_code == 409 and "changed a moment ago" in page.context["error"]
    assert page.context["total"] == "43.0000"
    assert not Subscription.objects.exists()


def test_insufficient_funds_for_the_total(reseller_client, reseller_user, three):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("30"))
    key = _confirm(reseller_client, three).context["key"]
    page = reseller_client.post(reverse("resellers:buy_many"), {"key": key})
    assert page.status_code == 409 and "need 33.0000 USD together" in page.context["error"]
    assert not Subscription.objects.exists()


def test_numbers_matching_the_search_and_nothing_checked(reseller_client, three):
    DIDFactory(number="+81312345678", country="JP")
    page = reseller_client.post(reverse("resellers:buy_many"), {"matching": "1", "q": "prefix=1855"})
    assert [r["pk"] for r in page.context["rows"]] == [d.pk for d in three]
    response = reseller_client.post(reverse("resellers:buy_many"), {})
    assert response.status_code == 302 and response.url == reverse("resellers:buy")


def test_another_accounts_key_or_a_did_outside_the_pool(client, three):
    a, b = make_account_user(name="A"), make_account_user(name="B")
    client.force_login(a)
    key = _confirm(client, three).context["key"]
    client.force_login(b)
    assert client.post(reverse("resellers:buy_many"), {"key": key}).status_code == 404
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=a.account, name="C")
    client.force_login(customer)  # its pool is A's numbers: none of these
    assert client.post(reverse("resellers:buy_many"), {"did": [three[0].pk]}).status_code == 302
    assert not Subscription.objects.exists()
