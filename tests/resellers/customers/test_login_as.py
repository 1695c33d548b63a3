"""Log in as, started by a reseller on an account directly under it: audited both ways, the
banner with "Return to <the reseller's account>", Return back to that account's page; never
into another reseller's account, a suspended one, or from a customer; one at a time. A
session that had passed two-factor (an admin's or a reseller's) has it again after Return."""

from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Account
from audit.context import LOGIN_AS_SESSION_KEY
from audit.models import AuditEntry
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from tests.factories import DIDFactory
from tests.resellers.customers.conftest import url


def _session_user(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def _rows(action=None) -> list[AuditEntry]:
    rows = AuditEntry.objects.order_by("id")
    return list(rows.filter(action=action) if action else rows)


def test_login_as_is_audited_shows_the_banner_and_returns_to_the_reseller(reseller_client, reseller_user,
                                                                         customer_user):
    account = customer_user.account
    response = reseller_client.post(url("login_as", account))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert _session_user(reseller_client) == customer_user.pk
    started, = _rows("session.login_as")
    assert (started.actor_id, started.on_behalf_of_id, started.account_id) == (reseller_user.pk, None, account.pk)
    assert reseller_user.username in started.summary and "Reseller A" in started.summary
    assert account.name in started.summary

    html = reseller_client.get(reverse("resellers:dids")).content.decode()
    assert 'data-testid="login-as-banner"' in html
    assert f"Viewing as <strong>{account.name} ({account.number})</strong>" in html
    assert f"you are <strong>{reseller_user.username}</strong>" in html
    assert "Return to Reseller A</button>" in html and "Return to admin" not in html
    # The customer's rights only: the reseller's pages are closed meanwhile.
    assert reseller_client.get(url("list")).status_code == 403

    back = reseller_client.post(reverse("audit:return"))
    assert back.status_code == 302 and back["Location"] == url("detail", account)
    assert _session_user(reseller_client) == reseller_user.pk
    assert LOGIN_AS_SESSION_KEY not in reseller_client.session
    ended, = _rows("session.login_as_ended")
    assert (ended.actor_id, ended.on_behalf_of_id, ended.account_id) == (reseller_user.pk, None, account.pk)
    assert reseller_user.username in ended.summary
    assert 'data-testid="login-as-banner"' not in reseller_client.get(url("detail", account)).content.decode()


def test_what_is_done_meanwhile_names_the_reseller(reseller_client, reseller_user, customer_user):
    did = DIDFactory()
    for account_id in (reseller_user.account_id, customer_user.account_id):
        add_funds(account_id=account_id, amount=Decimal(100))
    purchase_did(buyer_id=reseller_user.account_id, did_id=did.pk, purchase_key="reseller-buys")
    reseller_client.post(url("login_as", customer_user.account))
    initial = reseller_client.get(reverse("resellers:purchase", args=[did.pk])).context["form"].initial
    reseller_client.post(reverse("resellers:purchase", args=[did.pk]),
                         {k: initial[k] for k in ("purchase_key", "sell_setup_fee", "sell_price")})
    bought, = [row for row in _rows("subscription.purchased") if row.account_id == customer_user.account_id]
    assert (bought.actor_id, bought.on_behalf_of_id, bought.on_behalf_of_name) == (
        customer_user.pk, reseller_user.pk, reseller_user.username)


@pytest.mark.parametrize("whose", ["other_customer", "grandchild", "reseller_user"])
def test_no_login_as_into_an_account_not_directly_under_it(reseller_client, reseller_user, whose, request):
    account = request.getfixturevalue(whose).account
    assert reseller_client.post(url("login_as", account)).status_code == 404
    assert _session_user(reseller_client) == reseller_user.pk and _rows() == []


def test_no_login_as_into_a_suspended_account(reseller_client, reseller_user, customer_user):
    Account.objects.filter(pk=customer_user.account_id).update(status=Account.Status.SUSPENDED)
    response = reseller_client.post(url("login_as", customer_user.account), follow=True)
    assert response.redirect_chain[0][0] == url("detail", customer_user.account)
    assert "is suspended: it cannot be logged in as" in response.content.decode()
    assert _session_user(reseller_client) == reseller_user.pk and _rows() == []


def test_a_customer_cannot_start_one(customer_client, customer_user, reseller_user):
    assert customer_client.post(url("login_as", customer_user.account)).status_code == 403
    assert _session_user(customer_client) == customer_user.pk and _rows() == []


def test_one_at_a_time_from_a_sub_reseller_seen_from_above(reseller_client, sub_reseller, grandchild):
    reseller_client.post(url("login_as", sub_reseller.account))
    assert _session_user(reseller_client) == sub_reseller.pk
    # Viewing as the sub-reseller shows its customers, but not a second "log in as" (Return must lead back).
    assert reseller_client.get(url("detail", grandchild.account)).status_code == 200
    assert reseller_client.post(url("login_as", grandchild.account)).status_code == 403
    assert _session_user(reseller_client) == sub_reseller.pk and len(_rows("session.login_as")) == 1


def test_a_reseller_suspended_meanwhile_must_log_in_again(reseller_client, reseller_user, customer_user):
    reseller_client.post(url("login_as", customer_user.account))
    Account.objects.filter(pk=reseller_user.account_id).update(status=Account.Status.SUSPENDED)
    response = reseller_client.post(reverse("audit:return"))
    assert response["Location"] == reverse("login") and _session_user(reseller_client) is None
    assert _rows("session.login_as_ended") == []


# --- two-factor: kept across log in as and Return -------------------------------------------


def _verified_client(client, user, *, confirmed=True):
    """``client`` logged in as ``user`` with a session that has passed two-factor."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=confirmed)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def _is_verified(client) -> bool:
    return client.get(reverse("home")).wsgi_request.user.is_verified()


@pytest.mark.parametrize("starter", ["admin", "reseller"])
def test_two_factor_is_kept_across_login_as_and_return(client, admin_user, reseller_user, customer_user, starter):
    user = admin_user if starter == "admin" else reseller_user
    device = _verified_client(client, user)
    assert _is_verified(client)
    start = reverse("audit:login_as", args=[customer_user.account_id]) if starter == "admin" \
        else url("login_as", customer_user.account)
    client.post(start)
    assert _session_user(client) == customer_user.pk and not _is_verified(client)  # the customer's own session
    client.post(reverse("audit:return"))
    assert _session_user(client) == user.pk and _is_verified(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


@pytest.mark.parametrize("change", ["deleted", "unconfirmed"])
def test_a_device_gone_or_unconfirmed_meanwhile_is_not_restored(client, reseller_user, customer_user, change):
    device = _verified_client(client, reseller_user)
    client.post(url("login_as", customer_user.account))
    if change == "deleted":
        device.delete()
    else:
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    client.post(reverse("audit:return"))
    assert _session_user(client) == reseller_user.pk and not _is_verified(client)


def test_a_session_without_two_factor_gets_none_back(reseller_client, reseller_user, customer_user):
    TOTPDevice.objects.create(user=reseller_user, name="phone", confirmed=True)  # enrolled, not used this session
    reseller_client.post(url("login_as", customer_user.account))
    assert "otp_device" not in reseller_client.session[LOGIN_AS_SESSION_KEY]
    reseller_client.post(reverse("audit:return"))
    assert _session_user(reseller_client) == reseller_user.pk and not _is_verified(reseller_client)
