"""Two-factor login (django-otp): an authenticator app (TOTP) and ten recovery codes.

Two-factor login is on for a user when the user has a confirmed ``TOTPDevice``; the recovery
codes are one ``StaticDevice`` with its ``StaticToken`` rows, each usable once. Enrolment
creates an unconfirmed device, shown as a QR code and as base32 text, and confirms it when
the user types a current code.

A login with two-factor is two steps: after the right password the session keeps a *pending
login* (``begin_pending_login``), not the user; the code step logs the user in. A wrong code
counts as a failed login for django-axes (``count_failed_code``), so the lockout of the
(username, address) pair covers the code step too; django-otp's own throttling (an
exponential wait per device after each wrong code) stays on beside it. Any other way of
logging in (Django's admin has its own login page) marks the session as owing its code
(``code_due``) and accounts/middleware_two_factor.py holds it at the code step.
"""

import time
import xml.etree.ElementTree as ET
from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import load_backend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.record import record

RECOVERY_CODE_COUNT = 10
PENDING_LOGIN_SECONDS = 5 * 60  # the password step is good for this long
PENDING_LOGIN_SESSION_KEY = "two_factor_pending_login"
# Set at every login of a user with two-factor on: until the session passes the code step, only
# the two-factor pages answer it (accounts/middleware_two_factor.py).
CODE_DUE_SESSION_KEY = "two_factor_code_due"
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


class TwoFactorError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- status -------------------------------------------------------------------------


def app_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, or None: two-factor login is off."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_app_device(user) -> TOTPDevice | None:
    """The device being set up (shown as a QR code, not yet confirmed), or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- enrolment ----------------------------------------------------------------------


def start_enrolment(user) -> TOTPDevice:
    """A new secret for the authenticator app; an earlier unconfirmed one is dropped (it was
    shown on a screen and never confirmed)."""
    with transaction.atomic():
        if is_enabled(user):
            raise TwoFactorError("Two-factor login is already on.")
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret as the apps' "enter a setup key" asks for it: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@dataclass(frozen=True)
class QRCode:
    """A QR code as the set-up page draws it (templates/accounts/two_factor/setup.html): one SVG
    path of the dark modules in a square of ``size`` modules, quiet zone included."""

    size: int
    path: str


def qr_code(device: TOTPDevice) -> QRCode:
    """The device's ``otpauth://`` URL as a QR code. qrcode's SVG path image draws it; only its
    path data and size are kept, and the page writes the SVG element itself (autoescaped, no
    style attribute: the CSP allows none), whatever markup qrcode's version emits."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    root = ET.fromstring(image.to_string(encoding="unicode"))
    path = root.find(f"{{{SVG_NAMESPACE}}}path")
    size = image.width + 2 * image.border  # in modules, as the path is drawn
    return QRCode(size=size, path=path.get("d", "") if path is not None else "")


def confirm_enrolment(user, code: str) -> list[str]:
    """Turn two-factor login on with the code the app shows now; returns the new recovery
    codes (shown once: only the user keeps them)."""
    device = pending_app_device(user)
    if device is None:
        raise TwoFactorError("Start the set-up again: there is no authenticator app waiting to be confirmed.")
    allowed, wait = _verify_allowed(device)
    if not allowed:
        raise TwoFactorError(_wait_message(wait), field="code")
    # Outside the transaction below: a wrong code's throttling is kept.
    if not device.verify_token(_digits(code)):
        raise TwoFactorError("That code is not right. Type the code your app shows now.", field="code")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record("user.2fa_enabled", account=user.account, obj=user,
               summary=f"{user.get_username()} turned on two-factor login")
    return codes


def regenerate_recovery_codes(user) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    with transaction.atomic():
        if not is_enabled(user):
            raise TwoFactorError("Two-factor login is off: there are no recovery codes.")
        codes = _new_recovery_codes(user)
        record("user.recovery_codes_regenerated", account=user.account, obj=user,
               summary=f"New recovery codes for {user.get_username()}; the old ones no longer work")
    return codes


def disable(user, *, summary: str | None = None) -> bool:
    """Turn two-factor login off: the app and the recovery codes are deleted. Returns False
    (and writes nothing) when it was off already."""
    with transaction.atomic():
        had_devices = TOTPDevice.objects.filter(user=user).exists() or StaticDevice.objects.filter(user=user).exists()
        if not had_devices:
            return False
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()  # its tokens go with it (CASCADE)
        record("user.2fa_disabled", account=user.account, obj=user,
               summary=summary or f"{user.get_username()} turned off two-factor login")
    return True


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = _unique_codes()
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _unique_codes() -> list[str]:
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:  # 40 random bits each: a repeat is all but impossible
        code = StaticToken.random_token()
        if code not in codes and not code.isdigit():  # digits alone are read as an app's code
            codes.append(code)
    return codes


# --- the code step of a login ---------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    device: object | None = None  # the device that accepted the code
    wait_seconds: int = 0  # > 0: django-otp's throttling refused to try the code

    @property
    def accepted(self) -> bool:
        return self.device is not None

    @property
    def throttled(self) -> bool:
        return self.wait_seconds > 0

    @property
    def recovery_code(self) -> bool:
        return isinstance(self.device, StaticDevice)

    @property
    def message(self) -> str:
        if self.throttled:
            return _wait_message(self.wait_seconds)
        return "That code is not right."


def check_code(user, code: str) -> CodeCheck:
    """Try a code typed at the code step: six digits are the app's, anything else a recovery
    code. Each device throttles its own wrong codes; a throttled device tries nothing."""
    digits = _digits(code)
    if digits.isdigit():
        device = app_device(user)
        token = digits
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
        token = normalize_recovery_code(code)
    if device is None or not token:
        return CodeCheck()
    allowed, wait = _verify_allowed(device)
    if not allowed:
        return CodeCheck(wait_seconds=wait)
    # django-otp's verify_token locks the device's row for the check, so one code is accepted
    # once even when posted twice at the same moment (its own transaction; no other lock held).
    return CodeCheck(device=verify_token(user, device.persistent_id, token))


def normalize_recovery_code(code: str) -> str:
    """Recovery codes are lower-case base32; people type them in any case, with spaces or dashes."""
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def _digits(code: str) -> str:
    return "".join((code or "").split())  # "123 456" as some apps show it


def _verify_allowed(device) -> tuple[bool, int]:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return True, 0
    until = (data or {}).get("locked_until")
    wait = int((until - timezone.now()).total_seconds()) + 1 if until else 1
    return False, max(1, wait)


def _wait_message(seconds: int) -> str:
    return (f"Too many wrong codes: wait {seconds} second{'s' if seconds != 1 else ''} "
            "and try again with the code your app shows then.")


def count_failed_code(request, username: str) -> bool:
    """A wrong code is a failed login for django-axes (its ``user_login_failed`` handler counts
    the (username, address) pair). Returns True when this failure locked the pair out."""
    # Axes keeps the POST of a failure in its log: a mistyped recovery code is nearly a real
    # one, so it sees the request without the code.
    posted = request.POST
    request.POST = posted.copy()
    request.POST.pop("code", None)
    try:
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    finally:
        request.POST = posted
    return bool(getattr(request, "axes_locked_out", False))


def is_locked_out(request, username: str) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": username})


# --- the pending login (between the password and the code) ---------------------------------


@dataclass(frozen=True)
class PendingLogin:
    user: object | None  # None: expired, or the user can no longer log in
    backend: str
    next_url: str

    @property
    def expired(self) -> bool:
        return self.user is None


def begin_pending_login(session, user, *, next_url: str) -> None:
    """The password was right: keep who is logging in, not a login."""
    session[PENDING_LOGIN_SESSION_KEY] = {
        "user_id": user.pk, "backend": user.backend, "at": time.time(), "next": next_url or "",
    }


def pending_login(session) -> PendingLogin | None:
    """The login waiting for its code; None when there is none. A login older than
    ``PENDING_LOGIN_SECONDS``, or whose user was suspended or deactivated meanwhile, is
    dropped and comes back as ``expired``."""
    data = session.get(PENDING_LOGIN_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    user = None
    if time.time() - float(data.get("at", 0)) <= PENDING_LOGIN_SECONDS:
        user = load_backend(data["backend"]).get_user(data["user_id"])  # refuses a suspended account
    if user is None:
        end_pending_login(session)
    return PendingLogin(user=user, backend=data["backend"], next_url=data.get("next", ""))


def end_pending_login(session) -> None:
    session.pop(PENDING_LOGIN_SESSION_KEY, None)


@receiver(user_logged_in, dispatch_uid="accounts.two_factor.mark_code_due")
def _mark_code_due(sender, request, user, **kwargs):
    """Every way of logging in marks the session: the portal's login reaches ``login()`` only after
    the code, but Django's own admin has a login page of its own that asks for the password alone."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if is_enabled(user):
        session[CODE_DUE_SESSION_KEY] = True
    else:
        session.pop(CODE_DUE_SESSION_KEY, None)


def code_due(session) -> bool:
    return bool(session.get(CODE_DUE_SESSION_KEY))


def clear_code_due(session) -> None:
    session.pop(CODE_DUE_SESSION_KEY, None)
