"""Two-factor login: enrolment (QR code, first code, recovery codes shown once), the code step
of a login (wrong codes, recovery codes, expiry, next), the lockout covering the code step,
admins required to use it, turning it off, the reset command and the audit trail."""

import re
import time
import xml.etree.ElementTree as ET
from base64 import b32encode
from datetime import timedelta

import pytest
import qrcode
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import SESSION_KEY
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from audit.context import LOGIN_AS_SESSION_KEY
from audit.models import AuditEntry
from tests.factories import PASSWORD

HOME = "203.0.113.10"
ELSEWHERE = "198.51.100.66"
LOCKOUT_TEXT = "Too many failed attempts for this username from your address."
WRONG_CODE = "That code is not right."


# --- helpers ---------------------------------------------------------------------------

def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the app shows now (or ``steps_ahead`` steps later: within the tolerance of 1)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def next_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet: each time step's code is accepted once."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = max(time.time(), device.t0 + (device.last_t + 1) * device.step)
    return f"{totp.token():0{device.digits}d}"


def enable(user) -> tuple[TOTPDevice, list[str]]:
    """Two-factor login on, through the service (as the set-up page does)."""
    device = two_factor.start_enrolment(user)
    codes = two_factor.confirm_enrolment(user, code_for(device))
    device.refresh_from_db()
    return device, codes


def password_step(client, username, password=PASSWORD, ip=HOME, next_url=None):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("login"), data, REMOTE_ADDR=ip)


def code_step(client, code, ip=HOME):
    return client.post(reverse("two_factor:verify"), {"code": code}, REMOTE_ADDR=ip)


def logged_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def verified(client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


def actions(user) -> list[str]:
    return list(AuditEntry.objects.filter(object_type="accounts.user", object_id=user.pk)
                .order_by("pk").values_list("action", flat=True))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def otp_throttle_off(settings):
    """django-otp waits 1, 2, 4... seconds after each wrong code before it tries another; tests
    that count failures in a row take the wait away (tested on its own below)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# --- enrolment -------------------------------------------------------------------------

def test_the_status_page_says_off_and_offers_the_set_up(reseller_client):
    html = reseller_client.get(reverse("two_factor:status")).content.decode()
    assert 'data-testid="two-factor-status">Off<' in html
    assert f'action="{reverse("two_factor:start")}"' in html and "Set up two-factor login" in html


def test_opening_the_set_up_page_creates_no_secret(reseller_client, reseller_user):
    response = reseller_client.get(reverse("two_factor:setup"))
    assert response.status_code == 302 and response["Location"] == reverse("two_factor:status")
    assert not TOTPDevice.objects.exists()


def test_set_up_shows_the_qr_code_as_inline_svg_and_the_secret_as_text(reseller_client, reseller_user):
    response = reseller_client.post(reverse("two_factor:start"))
    assert response.status_code == 302 and response["Location"] == reverse("two_factor:setup")
    device = TOTPDevice.objects.get(user=reseller_user)
    assert not device.confirmed

    response = reseller_client.get(reverse("two_factor:setup"))
    html = response.content.decode()
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("data-testid") == "totp-qr"
    assert root.find("{http://www.w3.org/2000/svg}path") is not None  # the modules, one path
    # The CSP forbids inline styles and scripts: none in the markup.
    assert "style=" not in html and "<script>" not in html and not re.search(r"\son\w+=", svg)
    assert "style-src 'self'" in response["Content-Security-Policy"]
    secret = b32encode(device.bin_key).decode()
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert shown.replace(" ", "") == secret
    assert "issuer=DID%20portal" in device.config_url and "secret=" + secret in device.config_url


def test_a_wrong_code_is_refused_next_to_the_field_and_nothing_is_turned_on(reseller_client, reseller_user):
    reseller_client.post(reverse("two_factor:start"))
    device = TOTPDevice.objects.get(user=reseller_user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = reseller_client.post(reverse("two_factor:setup"), {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["That code is not right. Type the code your app shows now."]}
    assert f'value="{wrong}"' in response.content.decode()  # the form as typed
    device.refresh_from_db()
    assert not device.confirmed and not StaticDevice.objects.exists() and actions(reseller_user) == []


def test_the_right_code_turns_it_on_and_shows_ten_recovery_codes_once(reseller_client, reseller_user):
    reseller_client.post(reverse("two_factor:start"))
    device = TOTPDevice.objects.get(user=reseller_user)
    response = reseller_client.post(reverse("two_factor:setup"), {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("two_factor:recovery_codes")
    device.refresh_from_db()
    assert device.confirmed and verified(reseller_client)  # this session passed its second factor

    html = reseller_client.get(reverse("two_factor:recovery_codes")).content.decode()
    shown = re.findall(r'<code class="user-select-all">([a-z2-7]+)</code>', html)
    stored = set(StaticToken.objects.filter(device__user=reseller_user).values_list("token", flat=True))
    assert len(shown) == 10 and set(shown) == stored

    again = reseller_client.get(reverse("two_factor:recovery_codes"), follow=True)
    assert not any(code in again.content.decode() for code in shown)  # shown once
    assert "Recovery codes are shown only once" in again.content.decode()
    status = reseller_client.get(reverse("two_factor:status")).content.decode()
    assert 'data-testid="two-factor-status">On<' in status and 'data-testid="codes-left">10<' in status
    assert actions(reseller_user) == ["user.2fa_enabled"]
    row = AuditEntry.objects.get(action="user.2fa_enabled")
    assert (row.actor_id, row.account_id) == (reseller_user.pk, reseller_user.account_id)


def test_start_again_replaces_an_unconfirmed_secret_and_refuses_once_it_is_on(reseller_client, reseller_user):
    reseller_client.post(reverse("two_factor:start"))
    first = TOTPDevice.objects.get(user=reseller_user)
    reseller_client.post(reverse("two_factor:start"))
    second = TOTPDevice.objects.get(user=reseller_user)
    assert first.pk != second.pk
    reseller_client.post(reverse("two_factor:setup"), {"code": code_for(second)})
    response = reseller_client.post(reverse("two_factor:start"), follow=True)
    assert "Two-factor login is already on." in messages_of(response)
    assert list(TOTPDevice.objects.filter(user=reseller_user).values_list("pk", flat=True)) == [second.pk]


def test_new_recovery_codes_need_the_password_and_the_old_ones_die(reseller_client, reseller_user):
    _, old_codes = enable(reseller_user)
    url = reverse("two_factor:regenerate")
    response = reseller_client.post(url, {"regenerate-password": "not-my-password"})
    assert response.status_code == 200
    assert response.context["regenerate_form"].errors == {"password": ["That is not your password."]}
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old_codes)

    response = reseller_client.post(url, {"regenerate-password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("two_factor:recovery_codes")
    new_codes = set(StaticToken.objects.values_list("token", flat=True))
    assert len(new_codes) == 10 and not new_codes & set(old_codes)
    html = reseller_client.get(reverse("two_factor:recovery_codes")).content.decode()
    assert all(code in html for code in new_codes)
    assert actions(reseller_user) == ["user.2fa_enabled", "user.recovery_codes_regenerated"]


def test_turning_it_off_needs_the_password(reseller_client, reseller_user):
    enable(reseller_user)
    url = reverse("two_factor:disable")
    response = reseller_client.post(url, {"disable-password": "not-my-password"})
    assert response.status_code == 200
    assert response.context["disable_form"].errors == {"password": ["That is not your password."]}
    assert two_factor.is_enabled(reseller_user) and actions(reseller_user) == ["user.2fa_enabled"]

    response = reseller_client.post(url, {"disable-password": PASSWORD}, follow=True)
    assert "Two-factor login is off: a login asks for your password only." in messages_of(response)
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists() and not StaticToken.objects.exists()
    assert actions(reseller_user) == ["user.2fa_enabled", "user.2fa_disabled"]
    client = Client()
    assert password_step(client, reseller_user.username)["Location"] == reverse("home")  # the password alone
    assert logged_in_as(client) == reseller_user.pk


def test_the_changes_are_post_only(reseller_client):
    for name in ("start", "regenerate", "disable"):
        assert reseller_client.get(reverse(f"two_factor:{name}")).status_code == 405


def test_an_admin_logged_in_as_an_account_cannot_change_its_two_factor_login(client, admin_user, customer_user):
    client.force_login(admin_user)
    client.post(reverse("audit:login_as", args=[customer_user.account_id]))
    assert LOGIN_AS_SESSION_KEY in client.session and logged_in_as(client) == customer_user.pk
    response = client.post(reverse("two_factor:start"), follow=True)
    assert "Only the account's own user can change its two-factor login" in " ".join(messages_of(response))
    assert not TOTPDevice.objects.exists()
    enable(customer_user)
    codes = set(StaticToken.objects.values_list("token", flat=True))
    client.post(reverse("two_factor:regenerate"), {"regenerate-password": PASSWORD})
    client.post(reverse("two_factor:disable"), {"disable-password": PASSWORD})
    assert two_factor.is_enabled(customer_user) and set(StaticToken.objects.values_list("token", flat=True)) == codes


def test_the_qr_code_is_qrcodes_path_drawn_by_the_page_whatever_qrcode_emits(
        reseller_client, reseller_user, monkeypatch):
    reseller_client.post(reverse("two_factor:start"))
    device = TOTPDevice.objects.get(user=reseller_user)
    drawn = two_factor.qr_code(device)
    expected = qrcode.QRCode()
    expected.add_data(device.config_url)
    expected.make(fit=True)
    assert drawn.size == expected.modules_count + 2 * expected.border  # the quiet zone included
    squares = re.findall(r"M(\d+),(\d+)H\d+V\d+H\d+z", drawn.path)
    assert re.fullmatch(r"(M\d+,\d+H\d+V\d+H\d+z)+", drawn.path)
    dark = {(x + expected.border, y + expected.border)
            for y, row in enumerate(expected.modules) for x, is_dark in enumerate(row) if is_dark}
    assert {(int(x), int(y)) for x, y in squares} == dark and len(squares) == len(dark)  # one square per dark module

    hostile = ('<svg xmlns="http://www.w3.org/2000/svg" style="color:red" onload="x()">'
               '<path d="M4,4H5V5H4z&quot;/&gt;&lt;script&gt;x()&lt;/script&gt;" style="fill:red"/></svg>')

    class Image:
        width, border = 21, 4

        def to_string(self, encoding):
            return hostile

    monkeypatch.setattr(two_factor.qrcode, "make", lambda *args, **kwargs: Image())
    html = reseller_client.get(reverse("two_factor:setup")).content.decode()
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    assert 'viewBox="0 0 29 29"' in svg
    assert '<path d="M4,4H5V5H4z&quot;/&gt;&lt;script&gt;x()&lt;/script&gt;" fill="#000"/>' in svg  # escaped
    assert "style" not in svg and "onload" not in svg and "<script>" not in html


# --- the code step of a login ---------------------------------------------------------------

def test_a_login_asks_for_the_code_after_the_password(client, reseller_user):
    device, _ = enable(reseller_user)
    response = password_step(client, reseller_user.username)
    assert response.status_code == 302 and response["Location"] == reverse("two_factor:verify")
    assert logged_in_as(client) is None  # not yet

    page = client.get(reverse("two_factor:verify"))
    assert page.status_code == 200 and "Authentication code" in page.content.decode()
    response = code_step(client, next_code(device))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert logged_in_as(client) == reseller_user.pk and verified(client)
    assert two_factor.PENDING_LOGIN_SESSION_KEY not in client.session


def test_the_login_session_key_changes_at_the_code_step(client, reseller_user):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username)
    before = client.session.session_key
    code_step(client, next_code(device))
    assert client.session.session_key != before  # no session fixation across the two steps


def test_a_wrong_code_is_refused_counted_and_not_logged(client, reseller_user):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username)
    wrong = f"{(int(next_code(device)) + 1) % 1_000_000:06d}"
    response = code_step(client, wrong)
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [WRONG_CODE]}
    assert logged_in_as(client) is None
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (reseller_user.username, HOME, 1)
    assert wrong not in attempt.post_data  # axes' log never sees the code
    assert AccessFailureLog.objects.count() == 1


def test_django_otp_throttling_stays_on_and_is_not_counted_twice(client, reseller_user):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username)
    code_step(client, "000000" if next_code(device) != "000000" else "111111")
    response = code_step(client, next_code(device))  # right, but within the wait
    assert logged_in_as(client) is None
    assert "Too many wrong codes: wait" in response.context["form"].errors["code"][0]
    assert AccessAttempt.objects.get().failures_since_start == 1  # a code not tried is not a failure
    TOTPDevice.objects.update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=2))
    code_step(client, next_code(device))
    assert logged_in_as(client) == reseller_user.pk


def test_a_recovery_code_logs_in_once(client, reseller_user):
    _, codes = enable(reseller_user)
    code = codes[3]
    password_step(client, reseller_user.username)
    typed = f" {code[:4].upper()}-{code[4:].upper()} "  # as people type what they printed
    response = code_step(client, typed)
    assert response.status_code == 302 and logged_in_as(client) == reseller_user.pk and verified(client)
    follow = client.get(reverse("home"), follow=True)
    assert "You used a recovery code; 9 left." in " ".join(messages_of(follow))
    assert not StaticToken.objects.filter(token=code).exists()

    again = Client()
    password_step(again, reseller_user.username)
    response = code_step(again, code)
    assert response.status_code == 200 and response.context["form"].errors == {"code": [WRONG_CODE]}
    assert logged_in_as(again) is None


def test_a_pending_login_expires_after_five_minutes(client, reseller_user):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username)
    session = client.session
    pending = session[two_factor.PENDING_LOGIN_SESSION_KEY]
    pending["at"] -= two_factor.PENDING_LOGIN_SECONDS + 1
    session[two_factor.PENDING_LOGIN_SESSION_KEY] = pending
    session.save()
    response = code_step(client, next_code(device))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert logged_in_as(client) is None and two_factor.PENDING_LOGIN_SESSION_KEY not in client.session
    page = client.get(reverse("login"))
    assert "The login took too long: enter your username and password again." in messages_of(page)


def test_a_pending_login_within_five_minutes_still_works(client, reseller_user):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username)
    session = client.session
    pending = session[two_factor.PENDING_LOGIN_SESSION_KEY]
    pending["at"] -= two_factor.PENDING_LOGIN_SECONDS - 10
    session[two_factor.PENDING_LOGIN_SESSION_KEY] = pending
    session.save()
    code_step(client, next_code(device))
    assert logged_in_as(client) == reseller_user.pk


def test_a_user_suspended_between_the_password_and_the_code_is_not_logged_in(client, reseller_user):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username)
    reseller_user.account.status = "suspended"
    reseller_user.account.save(update_fields=["status"])
    response = code_step(client, next_code(device))
    assert response["Location"] == reverse("login") and logged_in_as(client) is None


@pytest.mark.parametrize("next_url, lands_on", [
    ("/portal/account/", "/portal/account/"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
])
def test_next_is_kept_through_the_code_step_when_safe(client, reseller_user, next_url, lands_on):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username, next_url=next_url)
    response = code_step(client, next_code(device))
    assert response.status_code == 302 and response["Location"] == lands_on


def test_the_code_step_without_the_password_step_goes_to_the_login_page(client, reseller_user):
    device, _ = enable(reseller_user)
    assert client.get(reverse("two_factor:verify"))["Location"] == reverse("login")
    response = code_step(client, next_code(device))
    assert response["Location"] == reverse("login") and logged_in_as(client) is None


def test_without_two_factor_the_password_alone_logs_in(client, reseller_user):
    response = password_step(client, reseller_user.username)
    assert response["Location"] == reverse("home") and logged_in_as(client) == reseller_user.pk
    assert client.get(reverse("two_factor:verify"))["Location"] == reverse("home")


def test_a_wrong_password_with_two_factor_on_never_reaches_the_code_step(client, reseller_user):
    enable(reseller_user)
    response = password_step(client, reseller_user.username, password="wrong-password")
    assert response.status_code == 200 and two_factor.PENDING_LOGIN_SESSION_KEY not in client.session


# --- lockout -------------------------------------------------------------------------------

def test_a_locked_out_pair_never_reaches_the_code_step(client, reseller_user):
    enable(reseller_user)
    for _ in range(5):
        password_step(client, reseller_user.username, password="wrong-password")
    response = password_step(client, reseller_user.username)  # the right password
    assert response.status_code == 429 and LOCKOUT_TEXT in response.content.decode()
    assert two_factor.PENDING_LOGIN_SESSION_KEY not in client.session
    assert client.get(reverse("two_factor:verify"))["Location"] == reverse("login")


def test_failure_limit_wrong_codes_lock_the_pair(client, reseller_user, settings, otp_throttle_off):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username)
    wrong = f"{(int(next_code(device)) + 1) % 1_000_000:06d}"
    answers = [code_step(client, wrong) for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert [r.status_code for r in answers] == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    html = answers[-1].content.decode()
    assert LOCKOUT_TEXT in html and f'value="{reseller_user.username}"' in html  # the login page, username kept
    assert two_factor.PENDING_LOGIN_SESSION_KEY not in client.session and logged_in_as(client) is None
    # The pair stays locked: the right password and then the right code get nowhere.
    assert password_step(client, reseller_user.username).status_code == 429
    assert code_step(client, next_code(device))["Location"] == reverse("login")
    # From another address the user still logs in.
    other = Client()
    assert password_step(other, reseller_user.username, ip=ELSEWHERE)["Location"] == reverse("two_factor:verify")
    code_step(other, next_code(device), ip=ELSEWHERE)
    assert logged_in_as(other) == reseller_user.pk


def test_wrong_passwords_and_wrong_codes_add_up(client, reseller_user, settings, otp_throttle_off):
    device, _ = enable(reseller_user)
    for _ in range(3):
        password_step(client, reseller_user.username, password="wrong-password")
    password_step(client, reseller_user.username)
    wrong = f"{(int(next_code(device)) + 1) % 1_000_000:06d}"
    assert [code_step(client, wrong).status_code for _ in range(2)] == [200, 429]


def test_a_pair_locked_meanwhile_stops_the_code_step(client, reseller_user):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username)
    other_tab = Client()
    for _ in range(5):
        password_step(other_tab, reseller_user.username, password="wrong-password")
    response = code_step(client, next_code(device))
    assert response.status_code == 429 and logged_in_as(client) is None
    assert two_factor.PENDING_LOGIN_SESSION_KEY not in client.session


def test_a_right_code_clears_the_failures(client, reseller_user, otp_throttle_off):
    device, _ = enable(reseller_user)
    password_step(client, reseller_user.username, password="wrong-password")
    password_step(client, reseller_user.username)
    code_step(client, f"{(int(next_code(device)) + 1) % 1_000_000:06d}")
    assert AccessAttempt.objects.get().failures_since_start == 2
    code_step(client, next_code(device))
    assert logged_in_as(client) == reseller_user.pk and not AccessAttempt.objects.exists()


# --- required for admins --------------------------------------------------------------------

@pytest.fixture
def required(settings):
    settings.REQUIRE_2FA_FOR_ADMINS = True


def test_an_admin_without_two_factor_is_sent_to_set_it_up(admin_client, required):
    response = admin_client.get(reverse("dids:list"))
    assert response.status_code == 302 and response["Location"] == reverse("two_factor:status")
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    assert "Admins must use two-factor login. Set up an authenticator app to continue: it takes a minute." \
        in messages_of(page)
    # A POST elsewhere does nothing either.
    assert admin_client.post(reverse("manage:create"), {"name": "X"})["Location"] == reverse("two_factor:status")
    assert admin_client.get("/healthz").status_code == 200
    assert admin_client.get(reverse("two_factor:setup")).status_code == 302  # a two-factor page: answered itself
    assert admin_client.post(reverse("logout"))["Location"] == reverse("login")


def test_an_admin_who_sets_it_up_uses_the_portal(admin_client, admin_user, required):
    admin_client.post(reverse("two_factor:start"))
    device = TOTPDevice.objects.get(user=admin_user)
    admin_client.post(reverse("two_factor:setup"), {"code": code_for(device)})
    assert admin_client.get(reverse("two_factor:recovery_codes")).status_code == 200
    assert admin_client.get(reverse("dids:list")).status_code == 200
    assert actions(admin_user) == ["user.2fa_enabled"]
    assert AuditEntry.objects.get().account_id is None  # an admin has no account


def test_an_admin_session_without_the_code_is_asked_for_it(client, admin_user, required):
    device, _ = enable(admin_user)
    client.force_login(admin_user)  # e.g. a session from before the set-up
    response = client.get(reverse("manage:list"))
    assert response["Location"] == reverse("two_factor:verify")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Type the code from your authenticator app to continue." in messages_of(page)
    assert code_step(client, next_code(device))["Location"] == reverse("home")
    assert client.get(reverse("manage:list")).status_code == 200


def test_an_admin_logs_in_with_password_and_code(client, admin_user, required):
    device, _ = enable(admin_user)
    assert password_step(client, admin_user.username)["Location"] == reverse("two_factor:verify")
    code_step(client, next_code(device))
    assert client.get(reverse("dids:list")).status_code == 200


def test_an_admin_who_turns_it_off_must_set_it_up_again(admin_client, admin_user, required):
    admin_client.post(reverse("two_factor:start"))
    device = TOTPDevice.objects.get(user=admin_user)
    admin_client.post(reverse("two_factor:setup"), {"code": code_for(device)})
    admin_client.post(reverse("two_factor:disable"), {"disable-password": PASSWORD})
    assert admin_client.get(reverse("dids:list"))["Location"] == reverse("two_factor:status")


def test_django_admins_own_login_page_does_not_skip_the_code(client, admin_user, settings):
    settings.REQUIRE_2FA_FOR_ADMINS = False  # the code is due because this admin turned it on
    device, _ = enable(admin_user)
    response = client.post(reverse("admin:login"), {"username": admin_user.username, "password": PASSWORD,
                                                    "next": reverse("admin:index")})
    assert response.status_code == 302 and logged_in_as(client) == admin_user.pk  # Django's admin logged it in
    for url in (reverse("admin:index"), reverse("dids:list"), reverse("home")):
        assert client.get(url)["Location"] == reverse("two_factor:verify")
    assert client.post(reverse("manage:create"), {"name": "X"})["Location"] == reverse("two_factor:verify")
    code_step(client, next_code(device))
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("dids:list")).status_code == 200


def test_a_session_whose_user_turned_it_off_elsewhere_is_not_stuck(client, reseller_user):
    device, _ = enable(reseller_user)
    client.force_login(reseller_user)  # a login that skipped the code (as Django's admin's would)
    assert client.get(reverse("resellers:dids"))["Location"] == reverse("two_factor:verify")
    two_factor.disable(reseller_user)
    assert client.get(reverse("two_factor:verify"))["Location"] == reverse("home")
    assert client.get(reverse("resellers:dids")).status_code == 200


def test_log_in_as_an_account_with_two_factor_on_needs_no_code(admin_client, customer_user):
    enable(customer_user)
    admin_client.post(reverse("audit:login_as", args=[customer_user.account_id]))
    assert logged_in_as(admin_client) == customer_user.pk
    assert admin_client.get(reverse("resellers:dids")).status_code == 200


def test_when_the_setting_is_off_admins_are_not_forced(admin_client, settings):
    settings.REQUIRE_2FA_FOR_ADMINS = False
    assert admin_client.get(reverse("dids:list")).status_code == 200


def test_resellers_and_customers_are_never_forced(client, reseller_user, customer_user, required):
    for user in (reseller_user, customer_user):
        client.force_login(user)
        assert client.get(reverse("resellers:dids")).status_code == 200


def test_an_unverified_admin_session_locked_out_at_the_code_step_is_logged_out(
        client, admin_user, required, settings, otp_throttle_off):
    device, _ = enable(admin_user)
    client.force_login(admin_user)
    wrong = f"{(int(next_code(device)) + 1) % 1_000_000:06d}"
    answers = [code_step(client, wrong).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert answers[-1] == 429 and logged_in_as(client) is None


# --- header, command -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin_client", "reseller_client", "customer_client"])
def test_the_header_links_to_two_factor_for_every_role(db, request, role):
    client = request.getfixturevalue(role)
    html = client.get(reverse("resellers:dids" if role != "admin_client" else "dids:list")).content.decode()
    assert f'href="{reverse("two_factor:status")}">Two-factor login</a>' in html  # in the user menu


def test_reset_two_factor_command_turns_it_off_and_is_audited(reseller_user, capsys):
    enable(reseller_user)
    call_command("reset_two_factor", reseller_user.username.upper())
    assert not two_factor.is_enabled(reseller_user) and not StaticToken.objects.exists()
    row = AuditEntry.objects.get(action="user.2fa_disabled")
    assert (row.source, row.actor_id, row.object_id) == ("command", None, reseller_user.pk)
    assert "reset by manage.py reset_two_factor" in row.summary
    assert "is off" in capsys.readouterr().out
    call_command("reset_two_factor", reseller_user.username)
    assert "nothing changed" in capsys.readouterr().out
    assert AuditEntry.objects.filter(action="user.2fa_disabled").count() == 1
    with pytest.raises(CommandError, match="No user named nobody"):
        call_command("reset_two_factor", "nobody")


# --- in Chromium, under the CSP ----------------------------------------------------------------

CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective));
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_set_up_and_log_in_with_an_authenticator_app_in_chromium(page, reseller_user):
    from tests.conftest import browser_login

    problems = []
    page.add_init_script(CSP_VIOLATIONS)
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)

    def check_csp():
        problems.extend(page.evaluate("window.__cspViolations"))

    browser_login(page, reseller_user.username, PASSWORD)
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Two-factor login").click()
    page.get_by_role("button", name="Set up two-factor login").click()
    assert page.get_by_test_id("totp-qr").is_visible()
    check_csp()
    device = TOTPDevice.objects.get(user=reseller_user)
    assert page.get_by_test_id("totp-secret").inner_text().replace(" ", "") == b32encode(device.bin_key).decode()
    page.get_by_label("Code from the app").fill(code_for(device))
    page.get_by_role("button", name="Turn on two-factor login").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    check_csp()

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Log out").click()
    browser_login(page, reseller_user.username, PASSWORD)
    assert page.url.endswith(reverse("two_factor:verify"))
    page.get_by_label("Authentication code").fill(next_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("home"))  # the reseller's dashboard
    check_csp()
    assert problems == []
