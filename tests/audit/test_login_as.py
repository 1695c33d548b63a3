"""Log in as: only an admin, only by POST, always with an audit row; everything done
meanwhile is recorded as the account's user on behalf of the admin; Return to admin
brings the admin back, and only a session started by "log in as" has an admin to return to."""

from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import Account
from audit.context import LOGIN_AS_SESSION_KEY
from billing.ledger.funds import add_funds
from tests.audit.helpers import IP, only, rows
from tests.factories import DIDFactory, make_account_user


def login_as(client, account):
    return client.post(reverse("audit:login_as", args=[account.pk]))


def session_user(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def test_get_is_refused_and_only_admins_may(admin_client, client, reseller_user, customer_user):
    url = reverse("audit:login_as", args=[customer_user.account_id])
    assert admin_client.get(url).status_code == 405
    client.force_login(reseller_user)
    assert client.post(url).status_code == 403
    client.logout()
    assert client.post(url).status_code == 302 and session_user(client) is None  # to the login page
    assert rows() == []


def test_login_as_writes_a_row_switches_the_user_and_shows_the_banner(admin_client, admin_user, customer_user):
    account = customer_user.account
    response = login_as(admin_client, account)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert session_user(admin_client) == customer_user.pk
    row = only("session.login_as")
    assert (row.actor_id, row.on_behalf_of_id, row.source, row.ip) == (admin_user.pk, None, "ui", IP)
    assert (row.account_id, row.object_type, row.object_id) == (account.pk, "accounts.user", customer_user.pk)

    html = admin_client.get(reverse("resellers:dids")).content.decode()
    assert 'data-testid="login-as-banner"' in html
    assert f"Viewing as <strong>{account.name} ({account.number})</strong>" in html
    assert "you are <strong>admin</strong>" in html and reverse("audit:return") in html
    # The admin's pages are closed while viewing as the account.
    assert admin_client.get(reverse("audit:list")).status_code == 403


def test_changes_made_while_logged_in_as_name_the_admin(admin_client, admin_user, reseller_user):
    did = DIDFactory()
    add_funds(account_id=reseller_user.account_id, amount=Decimal(100))
    login_as(admin_client, reseller_user.account)
    initial = admin_client.get(reverse("resellers:purchase", args=[did.pk])).context["form"].initial
    admin_client.post(reverse("resellers:purchase", args=[did.pk]),
                      {k: initial[k] for k in ("purchase_key", "sell_setup_fee", "sell_price")})
    row = only("subscription.purchased")
    assert (row.actor_id, row.actor_name) == (reseller_user.pk, reseller_user.username)
    assert (row.on_behalf_of_id, row.on_behalf_of_name) == (admin_user.pk, "admin")
    admin_client.post(reverse("billing:destination", args=[did.pk]), {"call_type": "sip_device", "destination": "1001"})
    assert only("destination.set").on_behalf_of_id == admin_user.pk


def test_return_brings_the_admin_back_with_a_row(admin_client, admin_user, customer_user):
    account = customer_user.account
    login_as(admin_client, account)
    response = admin_client.post(reverse("audit:return"))
    assert response.status_code == 302 and response["Location"] == reverse("billing:account", args=[account.pk])
    assert session_user(admin_client) == admin_user.pk
    assert LOGIN_AS_SESSION_KEY not in admin_client.session
    row = only("session.login_as_ended")
    assert (row.actor_id, row.on_behalf_of_id, row.account_id) == (admin_user.pk, None, account.pk)
    html = admin_client.get(reverse("billing:account", args=[account.pk])).content.decode()
    assert 'data-testid="login-as-banner"' not in html
    assert admin_client.get(reverse("audit:return")).status_code == 405


def test_a_customer_cannot_use_return_to_become_admin(client, customer_user, admin_user):
    client.force_login(customer_user)
    assert client.post(reverse("audit:return")).status_code == 403
    assert session_user(client) == customer_user.pk
    assert rows() == []


def test_the_stored_admin_only_serves_the_user_it_logged_in_as(admin_client, admin_user, customer_user, reseller_user):
    """The stored admin belongs to the session of the user it logged in as, not to any session."""
    login_as(admin_client, customer_user.account)
    session = admin_client.session
    session[LOGIN_AS_SESSION_KEY] = {**session[LOGIN_AS_SESSION_KEY], "as_user": reseller_user.pk}
    session.save()
    assert admin_client.post(reverse("audit:return")).status_code == 403
    assert session_user(admin_client) == customer_user.pk
    assert rows(action="session.login_as_ended") == []


def test_an_admin_changed_meanwhile_must_log_in_again(admin_client, admin_user, customer_user):
    login_as(admin_client, customer_user.account)
    admin_user.set_password("a-brand-new-pass-2026")
    admin_user.save()
    response = admin_client.post(reverse("audit:return"))
    assert response["Location"] == reverse("login") and session_user(admin_client) is None
    assert rows(action="session.login_as_ended") == []


@pytest.mark.parametrize("problem", ["suspended", "no_login", "inactive_login"])
def test_no_login_as_into_a_suspended_account_or_without_an_active_login(admin_client, admin_user, problem):
    if problem == "no_login":
        account = Account.objects.create(name="Bare", kind=Account.Kind.CUSTOMER)
    else:
        user = make_account_user(Account.Kind.CUSTOMER)
        account = user.account
        if problem == "suspended":
            Account.objects.filter(pk=account.pk).update(status=Account.Status.SUSPENDED)
        else:
            user.is_active = False
            user.save()
    response = admin_client.post(reverse("audit:login_as", args=[account.pk]), follow=True)
    assert session_user(admin_client) == admin_user.pk
    assert rows() == []
    assert "cannot be logged in as" in response.content.decode() or "no active login" in response.content.decode()


def test_the_account_page_offers_audit_and_log_in_as(admin_client, customer_user):
    html = admin_client.get(reverse("billing:account", args=[customer_user.account_id])).content.decode()
    assert reverse("audit:account", args=[customer_user.account_id]) in html
    assert f'action="{reverse("audit:login_as", args=[customer_user.account_id])}"' in html
