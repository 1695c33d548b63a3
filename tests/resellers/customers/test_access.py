"""Who reaches a reseller's Customers pages: the reseller, for the accounts directly under it
only. Another reseller's account, a grandchild, its own number and a missing number answer
404; customers and admins 403; anonymous users go to the login page; no GET changes anything."""

import pytest
from django.urls import reverse

from accounts.models import Account, User
from audit.models import AuditEntry
from billing.models import LedgerEntry
from tests.resellers.customers.conftest import url

# Every page about one account, and how it answers a GET (the login-as page takes POST only).
ACCOUNT_PAGES = {"detail": 200, "edit": 200, "status": 200, "payment": 200, "adjust": 200, "statement": 200,
                 "dids": 200, "calls": 200, "login_as": 405}
POSTED = ("edit", "status", "payment", "adjust", "login_as")  # the others answer a POST with 405, whoever asks
LIST_PAGES = ("list", "create")


def _state():
    return (list(Account.objects.order_by("pk").values()), list(User.objects.order_by("pk").values()),
            LedgerEntry.objects.count(), AuditEntry.objects.count())


@pytest.mark.parametrize("child", ["customer_user", "sub_reseller"])
def test_the_reseller_opens_every_page_of_its_accounts_and_no_get_changes_anything(reseller_client, child, request):
    account = request.getfixturevalue(child).account
    before = _state()
    for name, status in ACCOUNT_PAGES.items():
        response = reseller_client.get(url(name, account))
        assert response.status_code == status, name
        if status == 200:
            assert account.number in response.content.decode() and account.name in response.content.decode(), name
    for name in LIST_PAGES:
        assert reseller_client.get(url(name)).status_code == 200, name
    assert reseller_client.get(url("statement", account, format="csv")).status_code == 200
    assert reseller_client.get(url("list", format="csv")).status_code == 200
    assert _state() == before


@pytest.mark.parametrize("whose", ["other_customer", "grandchild", "reseller_user", "missing"])
def test_any_account_not_directly_under_it_is_404_for_every_method(reseller_client, whose, request):
    number = "0000000000" if whose == "missing" else request.getfixturevalue(whose).account.number
    before = _state()
    for name, status in ACCOUNT_PAGES.items():
        path = reverse(f"customers:{name}", args=[number])
        if status == 200:
            assert reseller_client.get(path).status_code == 404, name
        posted = reseller_client.post(path, {"status": "suspended", "amount": "5", "reason": "x"}).status_code
        assert posted == (404 if name in POSTED else 405), name
    assert _state() == before


def test_a_sub_reseller_reaches_its_own_customer_but_not_its_parents(client, sub_reseller, grandchild, customer_user):
    client.force_login(sub_reseller)
    assert client.get(url("detail", grandchild.account)).status_code == 200
    assert client.get(url("detail", customer_user.account)).status_code == 404
    assert client.get(url("detail", sub_reseller.account.parent)).status_code == 404


@pytest.mark.parametrize("who", ["customer_client", "admin_client"])
def test_customers_and_admins_get_403_on_every_page(who, request, customer_user):
    client = request.getfixturevalue(who)
    account = customer_user.account
    before = _state()
    for name in LIST_PAGES:
        assert client.get(url(name)).status_code == 403, name
        assert client.post(url(name), {}).status_code in (403, 405), name
    for name, status in ACCOUNT_PAGES.items():
        if status == 200:
            assert client.get(url(name, account)).status_code == 403, name
        assert client.post(url(name, account), {"status": "suspended"}).status_code == 403, name  # before 405
    assert _state() == before


def test_anonymous_users_go_to_the_login_page(client, customer_user):
    for path in [url(name) for name in LIST_PAGES] + [url(name, customer_user.account) for name in ACCOUNT_PAGES]:
        response = client.post(path) if path.endswith("/login-as/") else client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), path


def test_the_menu_shows_customers_to_resellers_only(reseller_client, customer_user, client):
    html = reseller_client.get(reverse("resellers:dids")).content.decode()
    assert f'href="{reverse("customers:list")}">Customers</a>' in html
    assert 'class="nav-link active" href="/portal/customers/">Customers' in \
        reseller_client.get(url("detail", customer_user.account)).content.decode()
    client.force_login(customer_user)
    assert reverse("customers:list") not in client.get(reverse("resellers:dids")).content.decode()
