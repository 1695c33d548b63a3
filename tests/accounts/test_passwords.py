"""Passwords: Change password for every role (never in a "log in as" session); "Forgot password?"
with the same answer whether the address is known or not, a link that works once, the rate limit
per client address and per e-mail address, no link for a suspended account; the reset link an
admin or a reseller sends to an account below it; e-mail only after a commit."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, PasswordResetRequest
from accounts.passwords import send_reset_link
from core.mail import wait_for_mail
from accounts.services import account_set_status
from audit.models import AuditEntry
from tests.factories import PASSWORD, make_account_user

pytestmark = pytest.mark.django_db

NEW = "plum-harbour-lantern-42"  # meets every rule
HOME_IP, OTHER_IP = "203.0.113.10", "198.51.100.66"
CHANGE = reverse("passwords:change")
FORGOT = reverse("passwords:reset")


@pytest.fixture
def mail(mailoutbox, django_capture_on_commit_callbacks):
    """Run what is given, its on-commit callbacks too, and return the e-mails it sent."""

    def run(action, *args, **kwargs):
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = action(*args, **kwargs)
        wait_for_mail()
        run.result = result
        return mailoutbox[before:]

    return run


def with_email(user, email):
    user.email = user.account.email = email
    user.save(update_fields=["email"])
    user.account.save(update_fields=["email"])
    return user


def audit_rows(action):
    return list(AuditEntry.objects.filter(action=action))


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def forgot(client, email, ip=HOME_IP):
    return client.post(FORGOT, {"email": email}, REMOTE_ADDR=ip)


# --- Change password ----------------------------------------------------------------------------

def change(client, old=PASSWORD, new1=NEW, new2=NEW):
    return client.post(CHANGE, {"old_password": old, "new_password1": new1, "new_password2": new2})


def test_the_rules_are_shown_before_the_first_try(customer_client):
    html = customer_client.get(CHANGE).content.decode()
    assert 'data-testid="password-rules"' in html
    for rule in password_validation.password_validators_help_texts():
        assert rule in html


def test_a_wrong_old_password_is_refused_next_to_its_field(customer_client, customer_user):
    response = change(customer_client, old="not-my-password")
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    customer_user.refresh_from_db()
    assert customer_user.check_password(PASSWORD) and audit_rows("user.password_changed") == []


def test_two_different_new_passwords_are_refused(customer_client, customer_user):
    response = change(customer_client, new2=NEW + "x")
    assert response.context["form"].errors["new_password2"] == ["The two password fields didn’t match."]
    customer_user.refresh_from_db()
    assert customer_user.check_password(PASSWORD)


@pytest.mark.parametrize("weak, says", [
    ("short-1", "at least 12 characters"),
    ("123456789012345", "entirely numeric"),
    ("password1234", "too common"),
])
def test_a_password_that_breaks_a_rule_is_refused_saying_which(customer_client, customer_user, weak, says):
    response = change(customer_client, new1=weak, new2=weak)
    assert response.status_code == 200
    assert any(says in error for error in response.context["form"].errors["new_password2"])
    customer_user.refresh_from_db()
    assert customer_user.check_password(PASSWORD) and audit_rows("user.password_changed") == []


@pytest.mark.parametrize("who", ["admin_user", "reseller_user", "customer_user"])
def test_every_role_changes_its_password_and_stays_logged_in(request, client, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    elsewhere = Client()
    elsewhere.force_login(user)

    response = change(client)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user.refresh_from_db()
    assert user.check_password(NEW)
    page = client.get(CHANGE)  # still logged in here
    assert page.status_code == 200
    assert "Your password was changed." in page.content.decode()
    assert elsewhere.get(CHANGE).status_code == 302  # the other session is logged out

    [row] = audit_rows("user.password_changed")
    assert (row.actor_id, row.object_id, row.account_id) == (user.pk, user.pk, user.account_id)
    assert NEW not in str(row.changes) and NEW not in row.summary


def test_a_log_in_as_session_cannot_change_the_accounts_password(admin_client, customer_user):
    assert admin_client.post(reverse("audit:login_as", args=[customer_user.account_id])).status_code == 302
    page = admin_client.get(CHANGE)
    assert page.status_code == 403
    assert "its password can only be changed by its owner" in page.content.decode()
    assert change(admin_client).status_code == 403
    customer_user.refresh_from_db()
    assert customer_user.check_password(PASSWORD) and audit_rows("user.password_changed") == []


def test_the_header_links_to_change_password_for_every_role(admin_client, reseller_client, customer_client):
    for client in (admin_client, reseller_client, customer_client):
        assert f'href="{CHANGE}"' in client.get(reverse("home"), follow=True).content.decode()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(CHANGE)
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={CHANGE}"


# --- Forgot password ------------------------------------------------------------------------------

def test_the_login_page_offers_forgot_password(client):
    assert f'href="{FORGOT}"' in client.get(reverse("login")).content.decode()
    assert "Forgot password?" in client.get(reverse("login")).content.decode()


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_mail(client, customer_user, mail):
    with_email(customer_user, "carol@example.com")
    with CaptureQueriesContext(connection) as known_queries:
        sent_known = mail(forgot, client, "Carol@Example.com")
    known = mail.result
    with CaptureQueriesContext(connection) as unknown_queries:
        sent_unknown = mail(forgot, client, "nobody@example.com")
    unknown = mail.result

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("passwords:reset_done")
    assert client.get(known["Location"]).content == client.get(unknown["Location"]).content
    assert len(known_queries) == len(unknown_queries)  # the same work either way
    assert [m.to for m in sent_known] == [["carol@example.com"]] and sent_unknown == []
    assert customer_user.username in sent_known[0].body


def test_the_link_works_once(client, customer_user, mail):
    with_email(customer_user, "carol@example.com")
    [message] = mail(forgot, client, "carol@example.com")
    link = path_of(link_in(message))
    token = link.rstrip("/").rsplit("/", 1)[1]

    to_form = client.get(link)  # the token moves into the session, out of the address bar
    assert to_form.status_code == 302 and to_form["Location"].endswith("/set-password/")
    form_page = client.get(to_form["Location"])
    assert form_page.context["validlink"] and 'data-testid="password-rules"' in form_page.content.decode()
    saved = client.post(to_form["Location"], {"new_password1": NEW, "new_password2": NEW})
    assert saved.status_code == 302 and saved["Location"] == reverse("passwords:reset_complete")

    customer_user.refresh_from_db()
    assert customer_user.check_password(NEW)
    assert not default_token_generator.check_token(customer_user, token)  # invalid after use
    again = client.get(link)
    assert again.status_code == 200 and not again.context["validlink"]
    assert "Link not valid" in again.content.decode()
    [row] = audit_rows("user.password_reset")
    assert (row.actor_id, row.account_id, row.ip) == (customer_user.pk, customer_user.account_id, "127.0.0.1")
    assert Client().post(reverse("login"), {"username": customer_user.username, "password": NEW}).status_code == 302


def test_a_new_password_that_breaks_a_rule_is_refused_and_the_link_still_works(client, customer_user, mail):
    with_email(customer_user, "carol@example.com")
    [message] = mail(forgot, client, "carol@example.com")
    form_url = client.get(path_of(link_in(message)))["Location"]
    response = client.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]
    customer_user.refresh_from_db()
    assert customer_user.check_password(PASSWORD) and audit_rows("user.password_reset") == []
    assert client.post(form_url, {"new_password1": NEW, "new_password2": NEW}).status_code == 302


def test_the_link_points_at_the_portal_not_at_the_host_the_request_named(client, customer_user, mail, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.PORTAL_BASE_URL = "https://portal.example.net"
    with_email(customer_user, "carol@example.com")
    [message] = mail(lambda: client.post(FORGOT, {"email": "carol@example.com"}, HTTP_HOST="evil.example.com"))
    assert link_in(message).startswith("https://portal.example.net/accounts/password/reset/")


def test_a_suspended_accounts_user_gets_no_link_and_an_old_link_stops_working(client, customer_user, mail):
    with_email(customer_user, "carol@example.com")
    [earlier] = mail(forgot, client, "carol@example.com")
    account_set_status(account_id=customer_user.account_id, status=Account.Status.SUSPENDED)

    assert mail(forgot, client, "carol@example.com") == []
    assert mail.result["Location"] == reverse("passwords:reset_done")
    page = client.get(path_of(link_in(earlier)))
    assert page.status_code == 200 and not page.context["validlink"]


def test_at_most_the_rate_per_e_mail_address_per_hour(client, customer_user, mail, settings):
    settings.PASSWORD_RESET_RATE = 2
    with_email(customer_user, "carol@example.com")
    ips = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]  # a new client address each time
    sent = [mail(forgot, client, "carol@example.com", ip) for ip in ips]
    assert [len(s) for s in sent] == [1, 1, 0]
    assert mail.result["Location"] == reverse("passwords:reset_done")  # the same answer over the limit

    PasswordResetRequest.objects.update(at=timezone.now() - timedelta(hours=1, minutes=1))
    assert len(mail(forgot, client, "carol@example.com", "192.0.2.4")) == 1  # an hour later
    assert PasswordResetRequest.objects.count() == 1  # the expired ones are gone


def test_at_most_the_rate_per_client_address_per_hour(client, reseller_user, mail, settings):
    settings.PASSWORD_RESET_RATE = 2
    users = [with_email(make_account_user(parent=reseller_user.account, kind=Account.Kind.CUSTOMER),
                        f"user{n}@example.com") for n in range(3)]
    sent = [mail(forgot, client, user.email, HOME_IP) for user in users]
    assert [len(s) for s in sent] == [1, 1, 0]
    assert len(mail(forgot, client, users[2].email, OTHER_IP)) == 1  # another address is not limited


def test_the_rate_table_keeps_no_address(client, customer_user, mail):
    with_email(customer_user, "carol@example.com")
    mail(forgot, client, "carol@example.com")
    [row] = PasswordResetRequest.objects.values()
    assert "carol" not in str(row) and row["client_ip"] == HOME_IP


def test_an_invalid_address_is_refused_next_to_the_field(client, mail):
    assert mail(forgot, client, "not an address") == []
    assert mail.result.status_code == 200 and mail.result.context["form"].errors["email"]
    assert PasswordResetRequest.objects.count() == 0


def test_a_logged_in_user_is_sent_to_change_password(customer_client):
    for name in ("passwords:reset", "passwords:reset_done", "passwords:reset_complete"):
        response = customer_client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == CHANGE


# --- a reset link sent by an admin or a reseller -------------------------------------------------

def send(client, account, **data):
    return client.post(reverse("passwords:send_reset", args=[account.number]), data)


def test_an_admin_sends_a_link_to_any_account(admin_client, admin_user, customer_user, mail):
    account = with_email(customer_user, "carol@example.com").account
    [message] = mail(send, admin_client, account)
    response = mail.result
    assert response.status_code == 302 and response["Location"] == reverse("billing:account", args=[account.pk])
    assert message.to == ["carol@example.com"] and "/accounts/password/reset/" in link_in(message)
    [row] = audit_rows("user.password_reset_sent")
    assert (row.actor_id, row.account_id, row.object_id) == (admin_user.pk, account.pk, customer_user.pk)
    assert "A password reset link was sent to carol@example.com." in admin_client.get(response["Location"]).content.decode()


def test_the_admins_account_page_has_the_button(admin_client, customer_user):
    with_email(customer_user, "carol@example.com")
    html = admin_client.get(reverse("billing:account", args=[customer_user.account_id])).content.decode()
    assert f'action="{reverse("passwords:send_reset", args=[customer_user.account.number])}"' in html


def test_a_reseller_sends_a_link_to_its_own_customer_and_goes_back_to_a_safe_next(reseller_client, customer_user, mail):
    account = with_email(customer_user, "carol@example.com").account
    back = reverse("customers:list") + "?q=carol"
    assert len(mail(send, reseller_client, account, next=back)) == 1
    assert mail.result["Location"] == back
    assert len(mail(send, reseller_client, account, next="https://evil.example.com/")) == 1
    assert mail.result["Location"] == reverse("customers:detail", args=[account.number])  # not off-site


def test_a_reseller_gets_404_for_any_account_not_directly_below_it(client, reseller_user, customer_user, mail):
    other = make_account_user(name="Reseller B")
    theirs = with_email(make_account_user(kind=Account.Kind.CUSTOMER, parent=other.account), "b@example.com")
    sub = make_account_user(parent=reseller_user.account)
    grandchild = with_email(make_account_user(kind=Account.Kind.CUSTOMER, parent=sub.account), "g@example.com")
    client.force_login(reseller_user)
    for account in (theirs.account, grandchild.account, other.account, reseller_user.account):
        assert mail(send, client, account) == [] and mail.result.status_code == 404
    assert client.post(reverse("passwords:send_reset", args=["0000000000"])).status_code == 404
    assert audit_rows("user.password_reset_sent") == []


def test_a_customer_gets_403(customer_client, customer_user, mail):
    with_email(customer_user, "carol@example.com")
    assert mail(send, customer_client, customer_user.account) == [] and mail.result.status_code == 403


def test_get_is_refused(admin_client, reseller_client, customer_user):
    url = reverse("passwords:send_reset", args=[customer_user.account.number])
    assert admin_client.get(url).status_code == 405
    assert reseller_client.get(url).status_code == 405


def test_anonymous_is_sent_to_log_in_and_nothing_is_sent(client, customer_user, mail):
    url = reverse("passwords:send_reset", args=[customer_user.account.number])
    assert mail(client.post, url) == [] and mail.result["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("situation, says", [
    ("no e-mail", "has no e-mail address"),
    ("suspended", "is suspended"),
])
def test_no_link_without_an_address_or_for_a_suspended_account(admin_client, customer_user, mail, situation, says):
    if situation == "suspended":
        with_email(customer_user, "carol@example.com")
        account_set_status(account_id=customer_user.account_id, status=Account.Status.SUSPENDED)
    assert mail(send, admin_client, customer_user.account) == []
    assert says in admin_client.get(mail.result["Location"]).content.decode()
    assert audit_rows("user.password_reset_sent") == []


def test_no_e_mail_when_the_transaction_rolls_back(customer_user, mail):
    account = with_email(customer_user, "carol@example.com").account

    def send_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            send_reset_link(account=account)
            raise RuntimeError("a later step fails")

    assert mail(send_then_fail) == []
    assert audit_rows("user.password_reset_sent") == []
    assert len(mail(send_reset_link, account=account)) == 1  # the same call, committed, sends


# --- the rules on the admin's Create Account form ---------------------------------------------

def test_create_account_shows_the_rules_and_edit_does_not(admin_client, customer_user):
    assert 'data-testid="password-rules"' in admin_client.get(reverse("manage:create")).content.decode()
    edit = admin_client.get(reverse("manage:edit", args=[customer_user.account_id])).content.decode()
    assert 'data-testid="password-rules"' not in edit
