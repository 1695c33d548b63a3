"""Login security: lockout per (username, address) with a cool-off (django-axes), the admin's
Login security page, strong passwords, cookie flags, and sessions ending on suspension."""

import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth import password_validation
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.forms_admin import AccountCreateForm
from accounts.models import Account
from accounts.security import client_ip, lockout_username
from accounts.services import account_set_status
from audit.middleware import AuditContextMiddleware
from audit.record import record
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent
HOME = "203.0.113.10"  # the real user's address
ELSEWHERE = "198.51.100.66"  # an attacker's
LOCKOUT_TEXT = "Too many failed attempts for this username from your address. Try again in 15 minutes."
XSS = "<script>alert(1)</script>"


def login(client, username, password, ip=HOME, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def fail(client, username, times, ip=HOME, **extra):
    return [login(client, username, "wrong-password", ip, **extra).status_code for _ in range(times)]


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout ------------------------------------------------------------------

def test_fifth_failure_locks_the_pair_out_with_429_and_the_login_page(client, reseller_user):
    assert fail(client, reseller_user.username, 4) == [200] * 4
    response = login(client, reseller_user.username, "wrong-password")
    html = response.content.decode()
    assert response.status_code == 429
    assert LOCKOUT_TEXT in html
    assert 'name="password"' in html and f'value="{reseller_user.username}"' in html  # the form, username kept
    assert 'name="csrfmiddlewaretoken"' in html
    # Even the right password is refused now, from this address.
    response = login(client, reseller_user.username, PASSWORD)
    assert response.status_code == 429 and LOCKOUT_TEXT in response.content.decode()
    assert not logged_in(client)


def test_a_lockout_from_elsewhere_does_not_lock_out_the_real_user(reseller_user):
    attacker, user = Client(), Client()
    fail(attacker, reseller_user.username, 7, ip=ELSEWHERE)
    assert login(attacker, reseller_user.username, PASSWORD, ip=ELSEWHERE).status_code == 429
    response = login(user, reseller_user.username, PASSWORD, ip=HOME)
    assert response.status_code == 302 and logged_in(user)


def test_username_case_and_spaces_count_as_one(client, reseller_user):
    name = reseller_user.username
    fail(client, name.upper(), 2)
    fail(client, f" {name.title()} ", 2)
    assert fail(client, name, 1) == [429]
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {name.casefold()}


def test_changing_the_user_agent_does_not_reset_the_count(client, reseller_user):
    for n in range(4):
        fail(client, reseller_user.username, 1, HTTP_USER_AGENT=f"agent {n}")
    assert fail(client, reseller_user.username, 1, HTTP_USER_AGENT="agent 9") == [429]


def test_the_message_follows_the_cool_off(client, reseller_user, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    fail(client, reseller_user.username, 4)
    assert "Try again in 1 minute." in login(client, reseller_user.username, "x").content.decode()


def test_a_username_longer_than_any_user_has_is_refused_by_the_form_and_not_counted(client, db):
    response = login(client, "x" * 151, "wrong-password")
    assert response.status_code == 200 and "at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()


@pytest.mark.parametrize("next_url, kept", [("/portal/account/", "/portal/account/"), ("javascript:alert(1)", "")])
def test_the_lockout_page_keeps_only_a_safe_next(client, reseller_user, next_url, kept):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": reseller_user.username, "password": "x",
                                                  "next": next_url}, REMOTE_ADDR=HOME)
    assert response.status_code == 429
    assert f'<input type="hidden" name="next" value="{kept}">' in response.content.decode()


def test_unknown_usernames_are_locked_out_the_same_way(client, db):
    assert fail(client, "nobody-here", 5) == [200, 200, 200, 200, 429]


def test_lockout_ends_after_the_cool_off(client, reseller_user):
    fail(client, reseller_user.username, 5)
    assert login(client, reseller_user.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    response = login(client, reseller_user.username, PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_success_clears_the_failures(client, reseller_user):
    fail(client, reseller_user.username, 4)
    assert login(client, reseller_user.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    client.post(reverse("logout"))
    assert fail(client, reseller_user.username, 4) == [200] * 4  # counting starts again


def test_settings_order_axes_backend_first_middleware_last():
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend", "accounts.backends.PortalBackend",
    ]
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


# --- the client's address -------------------------------------------------------

def _request(rf, forwarded=None, remote="10.0.0.2"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_without_trusted_proxies_the_address_is_remote_addr_and_forwarded_for_is_ignored(rf, settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request(rf, forwarded="1.2.3.4")) == "10.0.0.2"


@pytest.mark.parametrize("trusted, remote, forwarded, expected", [
    (["10.0.0.2"], "10.0.0.2", "203.0.113.7", "203.0.113.7"),  # nginx appended the client
    (["10.0.0.2"], "10.0.0.2", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client forged the left part
    (["10.0.0.0/24"], "10.0.0.2", "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),  # balancer, then nginx
    (["10.0.0.0/24"], "10.0.0.2", "10.0.0.7, 10.0.0.9", "10.0.0.7"),  # all trusted: the leftmost
    (["10.0.0.2"], "10.0.0.2", "not-an-address", "10.0.0.2"),
    (["10.0.0.2"], "10.0.0.2", "6.6.6.6, garbage, 203.0.113.7", "203.0.113.7"),
    (["10.0.0.0/24"], "10.0.0.2", "6.6.6.6, garbage, 10.0.0.9", "10.0.0.9"),  # stops at the bad hop
    (["10.0.0.2"], "10.0.0.2", "203.0.113.7:51234", "203.0.113.7"),  # with a port
    (["10.0.0.2"], "10.0.0.2", "[2001:db8::7]:443", "2001:db8::7"),
    (["10.0.0.2"], "10.0.0.2", None, "10.0.0.2"),
    (["fd00::/8"], "fd00::1", "2001:db8::7", "2001:db8::7"),
    (["10.0.0.2"], "::ffff:10.0.0.2", "203.0.113.7", "203.0.113.7"),  # IPv4-mapped peer
])
def test_behind_trusted_proxies_the_client_is_the_first_untrusted_hop_from_the_right(
        rf, settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(_request(rf, forwarded, remote=remote)) == expected


@pytest.mark.parametrize("remote", ["203.0.113.50", "10.0.0.3"])
def test_a_forged_header_from_an_untrusted_peer_is_ignored(rf, settings, remote):
    """A client that reaches gunicorn directly (not through the trusted proxy) sends any
    X-Forwarded-For it likes: it is its own address that counts."""
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(_request(rf, forwarded="198.51.100.1", remote=remote)) == remote


def test_a_forged_header_from_an_untrusted_peer_is_locked_out_and_audited_under_its_real_address(
        settings, reseller_user):
    """The issue's reproduction: with the proxy configured, a client connecting directly and
    forging X-Forwarded-For with a new address on every try is still locked out (its real
    address is counted), and the audit trail records the real address."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    attacker = Client()
    direct = {"REMOTE_ADDR": "198.51.100.66"}
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(reverse("login"), {"username": reseller_user.username, "password": "x"},
                      HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt + 1}", **direct)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}
    locked = attacker.post(reverse("login"), {"username": reseller_user.username, "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="192.0.2.200", **direct)
    assert locked.status_code == 429  # even the right password, from the same real address
    # Through the proxy, the real client behind it logs in and is audited under its own address.
    user = Client()
    response = user.post(reverse("login"), {"username": reseller_user.username, "password": PASSWORD},
                         HTTP_X_FORWARDED_FOR=HOME, REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 302

    # The audit trail reads the same address: a row written during a forged direct request.
    def write_a_row(request):
        return record("account.updated", account=reseller_user.account, summary="a change")

    forged = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="192.0.2.9", REMOTE_ADDR="198.51.100.66")
    forged.user = reseller_user
    assert str(AuditContextMiddleware(write_a_row)(forged).ip) == "198.51.100.66"
    proxied = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=f"192.0.2.9, {HOME}", REMOTE_ADDR="127.0.0.1")
    proxied.user = reseller_user
    assert str(AuditContextMiddleware(write_a_row)(proxied).ip) == HOME


def test_behind_a_proxy_each_client_has_its_own_lockout(settings, reseller_user):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    attacker, user = Client(), Client()
    behind_nginx = {"REMOTE_ADDR": "127.0.0.1"}
    for _ in range(6):
        attacker.post(reverse("login"), {"username": reseller_user.username, "password": "x"},
                      HTTP_X_FORWARDED_FOR=f"{HOME}, {ELSEWHERE}", **behind_nginx)
    assert AccessAttempt.objects.get().ip_address == ELSEWHERE  # the forged HOME is ignored
    response = user.post(reverse("login"), {"username": reseller_user.username, "password": PASSWORD},
                         HTTP_X_FORWARDED_FOR=HOME, **behind_nginx)
    assert response.status_code == 302


def test_trusted_proxies_are_checked_at_start(settings):
    from accounts.checks import trusted_proxies

    settings.TRUSTED_PROXIES = ["10.0.0.1", "10.1.0.0/16", "fd00::/8"]
    assert trusted_proxies() == []
    settings.TRUSTED_PROXIES = ["10.0.0.1", "nginx"]
    assert [problem.id for problem in trusted_proxies()] == ["accounts.E001"]


def test_the_removed_proxy_count_is_flagged(settings, monkeypatch):
    from accounts.checks import trusted_proxies

    settings.TRUSTED_PROXIES = []
    monkeypatch.setenv("AXES_PROXY_COUNT", "1")
    assert [problem.id for problem in trusted_proxies()] == ["accounts.W001"]


def test_lockout_username_normalises():
    assert lockout_username(None, {"username": "  AdMin "}) == "admin"
    assert lockout_username(None, {"username": None}) is None


# --- the Login security page ------------------------------------------------------

def test_page_lists_failures_escaped_and_lockouts_with_unlock(admin_client, reseller_user):
    attacker = Client()
    fail(attacker, XSS, 1, ip=ELSEWHERE, HTTP_USER_AGENT='<img src=x onerror="alert(2)">')
    fail(attacker, reseller_user.username, 5, ip=ELSEWHERE)
    response = admin_client.get(reverse("login_security"))
    html = response.content.decode()
    assert response.status_code == 200
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert ELSEWHERE in html
    lockouts = html.split('data-testid="lockouts"')[1].split("</table>")[0]
    assert reseller_user.username in lockouts and XSS.casefold() not in lockouts  # one failure is no lockout
    assert lockouts.count(">Unlock</button>") == 1
    assert f'action="{reverse("login_unlock")}"' in lockouts and 'method="post"' in lockouts
    assert html.count(">Locked out</span>") == 1  # the fifth failure
    assert "Login security" in html and 'class="nav-link active"' in html


def test_unlock_lets_the_user_in_again_and_keeps_the_log(admin_client, reseller_user):
    attacker = Client()
    fail(attacker, reseller_user.username, 5, ip=ELSEWHERE)
    url = reverse("login_unlock")
    assert admin_client.get(url).status_code == 405  # POST only
    response = admin_client.post(url, {"username": reseller_user.username, "ip_address": ELSEWHERE}, follow=True)
    assert f"Unlocked {reseller_user.username} from {ELSEWHERE}." in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert AccessFailureLog.objects.count() == 5
    assert login(attacker, reseller_user.username, PASSWORD, ip=ELSEWHERE).status_code == 302


def test_unlock_touches_only_its_pair(admin_client, reseller_user):
    fail(Client(), reseller_user.username, 5, ip=ELSEWHERE)
    fail(Client(), reseller_user.username, 5, ip=HOME)
    admin_client.post(reverse("login_unlock"), {"username": reseller_user.username, "ip_address": HOME})
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ELSEWHERE]


@pytest.mark.parametrize("data", [
    {"username": "someone", "ip_address": "not an ip"},
    {"username": "", "ip_address": HOME},
    {},
])
def test_unlock_with_garbage_removes_nothing(admin_client, reseller_user, data):
    fail(Client(), reseller_user.username, 5, ip=HOME)
    response = admin_client.post(reverse("login_unlock"), data, follow=True)
    assert "Nothing unlocked" in response.content.decode()
    assert AccessAttempt.objects.count() == 1


def test_page_is_for_admins_only(client, reseller_client, customer_user):
    url = reverse("login_security")
    assert reseller_client.get(url).status_code == 403
    assert reseller_client.post(reverse("login_unlock"), {"username": "x", "ip_address": HOME}).status_code == 403
    anonymous = Client()
    response = anonymous.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert anonymous.post(reverse("login_unlock"), {"username": "x"}).status_code == 302


def test_failure_log_pages(admin_client, db):
    for n in range(30):
        fail(Client(), f"user-{n:02}", 1, ip=ELSEWHERE)
    html = admin_client.get(reverse("login_security")).content.decode()
    assert "user-29" in html and "user-04" not in html  # newest first, 25 a page
    assert "1 - 25 of 30 Records" in html


# --- passwords -----------------------------------------------------------------

def test_the_known_passwords_pass_the_validators():
    password_validation.validate_password("demo-pass-2026")  # load_demo
    password_validation.validate_password(PASSWORD)


@pytest.mark.parametrize("password, ok", [("Kettle-42-ab", True), ("Kettle-42-a", False)])
def test_at_least_twelve_characters(password, ok):
    try:
        password_validation.validate_password(password)
    except password_validation.ValidationError as exc:
        assert not ok and "at least 12 characters" in str(exc)
    else:
        assert ok


def test_account_form_shows_the_validator_errors_next_to_the_password(admin_client, db):
    data = {"name": "Blue", "kind": "customer", "parent": "", "status": "active", "username": "blue",
            "email": "", "password1": "Kettle-42-a", "password2": "Kettle-42-a", "credit_limit": "0"}
    response = admin_client.post(reverse("manage:create"), data)
    html = response.content.decode()
    assert response.status_code == 200 and not Account.objects.filter(name="Blue").exists()
    error = html.split('id="error_1_id_password1"')[1][:300]
    assert "at least 12 characters" in error
    form = AccountCreateForm(data={**data, "password1": "Kettle-42-ab", "password2": "Kettle-42-ab"})
    assert form.is_valid(), form.errors


def test_django_admin_password_change_runs_the_validators(admin_client, reseller_user):
    url = reverse("admin:auth_user_password_change", args=[reseller_user.pk])
    response = admin_client.post(url, {"password1": "Kettle-42-a", "password2": "Kettle-42-a"})
    assert response.status_code == 200 and "at least 12 characters" in response.content.decode()
    reseller_user.refresh_from_db()
    assert reseller_user.check_password(PASSWORD)


# --- cookies --------------------------------------------------------------------

def test_login_cookies_are_httponly_lax_and_end_with_the_browser(client, reseller_user):
    client.get(reverse("login"))
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    response = login(client, reseller_user.username, PASSWORD)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert not session["expires"] and not session["max-age"]  # a browser-session cookie
    assert client.session.get_expiry_age() == 8 * 3600  # and the server ends it after 8 hours


def _production_settings(names: list[str], **env_changes) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY"}}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="portal.example.com", **env_changes)
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # timedeltas as str: "0:15:00"


def test_production_cookie_flags():
    expected = {
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True, "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax", "CSRF_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 8 * 3600, "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
    }
    assert _production_settings(list(expected)) == expected


def test_lockout_settings_come_from_the_environment():
    names = ["TRUSTED_PROXIES", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME"]
    assert _production_settings(names) == {
        "TRUSTED_PROXIES": [], "AXES_FAILURE_LIMIT": 5, "AXES_COOLOFF_TIME": "0:15:00",
    }
    changed = _production_settings(names, TRUSTED_PROXIES="127.0.0.1, 10.1.0.0/16", AXES_FAILURE_LIMIT="8",
                                   AXES_COOLOFF_MINUTES="60")
    assert changed == {
        "TRUSTED_PROXIES": ["127.0.0.1", "10.1.0.0/16"], "AXES_FAILURE_LIMIT": 8, "AXES_COOLOFF_TIME": "1:00:00",
    }


# --- suspension ends the session --------------------------------------------------

def test_suspending_an_account_ends_its_open_session_with_a_message(client, reseller_user, admin_user):
    assert login(client, reseller_user.username, PASSWORD).status_code == 302
    assert client.get(reverse("resellers:account")).status_code == 200
    admin = Client()
    admin.force_login(admin_user)
    admin.post(reverse("manage:status", args=[reseller_user.account_id]), {"status": "suspended"})
    response = client.get(reverse("resellers:account"), follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert "Your account is suspended, so you have been logged out." in response.content.decode()
    assert not logged_in(client)
    # Reactivated: the old session stays ended; a new login works.
    account_set_status(account_id=reseller_user.account_id, status=Account.Status.ACTIVE)
    assert client.get(reverse("resellers:account")).status_code == 302
    assert login(client, reseller_user.username, PASSWORD).status_code == 302


def test_a_suspended_reseller_does_not_end_its_customers_logins(client, customer_user, reseller_user):
    assert login(client, customer_user.username, PASSWORD).status_code == 302
    account_set_status(account_id=reseller_user.account_id, status=Account.Status.SUSPENDED)
    assert client.get(reverse("resellers:account")).status_code == 200
    assert login(Client(), customer_user.username, PASSWORD).status_code == 302


def test_a_session_that_ends_for_another_reason_says_nothing_about_suspension(client, reseller_user):
    login(client, reseller_user.username, PASSWORD)
    reseller_user.is_active = False
    reseller_user.save()
    response = client.get(reverse("resellers:account"), follow=True)
    assert not logged_in(client) and "suspended" not in response.content.decode()
