"""Create (a customer or a sub-reseller with its login, always under the reseller), Edit (name,
e-mail, credit limit) and Suspend / Reactivate behind a confirmation page. Posted fields the
forms do not have (parent, balance, status, a kind beyond customer/reseller) change nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account, User
from audit.models import AuditEntry
from billing.models import LedgerEntry
from tests.resellers.customers.conftest import fresh, url

PASSWORD = "Plenty-long-pass-2026"


def _create(client, **fields):
    data = {"name": "New Customer", "kind": "customer", "username": "new-customer", "email": "new@example.com",
            "password1": PASSWORD, "password2": PASSWORD, "credit_limit": "10.0000", **fields}
    return client.post(url("create"), data)


def test_the_create_page_shows_the_password_rules_before_the_first_try(reseller_client):
    response = reseller_client.get(url("create"))
    html = response.content.decode()
    assert 'data-testid="password-rules"' in html and "at least 12 characters" in html
    assert response.context["form"].initial["kind"] == "customer"
    assert reseller_client.get(url("create", kind="reseller")).context["form"].initial["kind"] == "reseller"
    assert set(response.context["form"].fields) == {"name", "kind", "username", "email", "password1", "password2",
                                                    "credit_limit"}


@pytest.mark.parametrize("kind", ["customer", "reseller"])
def test_a_reseller_creates_a_customer_or_sub_reseller_with_its_login(reseller_client, reseller_user, kind):
    response = _create(reseller_client, kind=kind)
    account = Account.objects.get(name="New Customer")
    assert response.status_code == 302 and response["Location"] == url("detail", account)
    assert (account.parent, account.kind, account.status, account.balance.amount, account.credit_limit.amount) == (
        reseller_user.account, kind, "active", Decimal("0"), Decimal("10"))
    user = User.objects.get(username="new-customer")
    assert user.account == account and user.check_password(PASSWORD) and not user.is_staff
    row = AuditEntry.objects.get(action="account.created")
    assert (row.actor_id, row.account_id) == (reseller_user.pk, account.pk)


def test_posted_parent_balance_status_and_a_foreign_kind_change_nothing(reseller_client, reseller_user,
                                                                        other_reseller):
    response = _create(reseller_client, parent=other_reseller.account_id, parent_id=other_reseller.account_id,
                       balance="999999", balance_0="999999", status="suspended", is_staff="on", is_superuser="on",
                       number="1234567890")
    account = Account.objects.get(name="New Customer")
    assert response.status_code == 302
    assert account.number != "1234567890"
    assert account.parent_id == reseller_user.account_id and account.balance.amount == 0 and account.is_active
    assert not User.objects.get(username="new-customer").is_staff
    assert not LedgerEntry.objects.exists()
    for kind in ("admin", "operator", ""):
        refused = _create(reseller_client, kind=kind, username=f"k-{kind or 'blank'}")
        assert refused.status_code == 200 and "kind" in refused.context["form"].errors
    assert Account.objects.count() == 3  # the reseller, B, the one created above


@pytest.mark.parametrize("fields, field", [
    ({"password2": "Something-else-2026"}, "password2"),
    ({"password1": "short", "password2": "short"}, "password1"),
    ({"password1": "password1234", "password2": "password1234"}, "password1"),  # common
    ({"password1": "new-customer-1", "password2": "new-customer-1"}, "password1"),  # like the username
    ({"name": "  "}, "name"),
    ({"credit_limit": "-1"}, "credit_limit"),
    ({"credit_limit": "1e3"}, "credit_limit"),
    ({"email": "not-an-address"}, "email"),
    ({"username": "bad name!"}, "username"),
])
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_written(reseller_client, fields, field):
    response = _create(reseller_client, **fields)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not Account.objects.filter(name="New Customer").exists() and not User.objects.filter(
        username="new-customer").exists()
    assert response.context["form"]["name"].value() == fields.get("name", "New Customer")  # as typed


def test_a_taken_username_is_refused(reseller_client, customer_user):
    response = _create(reseller_client, username=customer_user.username.upper())
    assert response.context["form"].errors["username"] == ["This username is taken."]


def test_edit_changes_name_email_and_credit_limit_only(reseller_client, customer_user, other_reseller):
    account = customer_user.account
    page = reseller_client.get(url("edit", account))
    assert page.context["form"].initial["name"] == "Customer A"
    response = reseller_client.post(url("edit", account), {
        "name": "Renamed", "email": "renamed@example.com", "credit_limit": "25.0000",
        "parent": other_reseller.account_id, "kind": "reseller", "status": "suspended", "balance": "500"})
    assert response.status_code == 302 and response["Location"] == url("detail", account)
    account = fresh(account)
    assert (account.name, account.email, account.credit_limit.amount) == ("Renamed", "renamed@example.com",
                                                                          Decimal("25"))
    assert (account.parent_id, account.kind, account.status, account.balance.amount) == (
        customer_user.account.parent_id, "customer", "active", Decimal("0"))
    assert User.objects.get(pk=customer_user.pk).email == "renamed@example.com"
    bad = reseller_client.post(url("edit", account), {"name": "Again", "email": "", "credit_limit": "-5"})
    assert bad.status_code == 200 and "credit_limit" in bad.context["form"].errors and fresh(account).name == "Renamed"


def test_suspend_shows_what_it_means_then_only_post_does_it(reseller_client, customer_user, reseller_user):
    account = customer_user.account
    page = reseller_client.get(url("status", account))
    html = page.content.decode()
    assert "It cannot log in or buy; its numbers keep working until the billing rules end them" in html
    assert 'name="status" value="suspended"' in html and fresh(account).is_active
    response = reseller_client.post(url("status", account), {"status": "suspended"})
    assert response.status_code == 302 and response["Location"] == url("detail", account)
    assert fresh(account).status == "suspended"
    row = AuditEntry.objects.get(action="account.suspended")
    assert (row.actor_id, row.account_id) == (reseller_user.pk, account.pk)
    # Suspended: the page offers Reactivate, which works the same way.
    assert "It can log in and buy again." in reseller_client.get(url("status", account)).content.decode()
    reseller_client.post(url("status", account), {"status": "active"})
    assert fresh(account).is_active


def test_a_post_without_a_valid_status_changes_nothing(reseller_client, customer_user):
    for data in ({}, {"status": "deleted"}):
        response = reseller_client.post(url("status", customer_user.account), data, follow=True)
        assert "Choose Active or Suspended." in response.content.decode()
    assert fresh(customer_user.account).is_active and not AuditEntry.objects.exists()


def test_the_detail_page_shows_the_account_and_its_ways(reseller_client, customer_user):
    account = customer_user.account
    html = reseller_client.get(url("detail", account)).content.decode()
    for text in (account.name, account.number, "Customer", "Active", "0.0000", customer_user.username,
                 "Latest statement lines", "No Records", "Record Payment", "Adjustment", "Suspend", "Log in as",
                 "Statement", "DIDs", "Calls", "Edit"):
        assert text in html, text
    for name in ("statement", "dids", "calls", "edit", "payment", "adjust", "status"):
        assert f'href="{url(name, account)}"' in html, name
    assert f'action="{url("login_as", account)}"' in html
    assert f'action="{reverse("passwords:send_reset", args=[account.number])}"' in html


def test_names_and_emails_are_shown_escaped(reseller_client):
    _create(reseller_client, name="<script>alert(1)</script>", email="x@example.com")
    account = Account.objects.get(email="x@example.com")
    for page in (url("list"), url("detail", account), url("statement", account), url("status", account)):
        html = reseller_client.get(page).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html, page
