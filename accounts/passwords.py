"""Passwords: changing one's own, "Forgot password?" (a reset link by e-mail), and a reset link
sent by an admin or a reseller to an account below it.

The reset e-mail is the same whoever asked for it. Its link points at ``PORTAL_BASE_URL``, never
at the Host header of the request, so a forged Host cannot send somebody's link elsewhere. It
goes out after the commit, in a thread of its own (core/mail.py, in_background): the answer never
waits for the mail server, so an address with an account answers as fast as one without.
"""

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Account, PasswordResetRequest, User
from accounts.permissions import managed_accounts
from audit.record import record
from core.mail import send_after_commit


RATE_WINDOW = timedelta(hours=1)


class PasswordError(Exception):
    """A reset link that cannot be sent; the message says why."""


# --- change and reset -----------------------------------------------------------------------


def change_password(*, user: User, new_password: str) -> None:
    """The user's own change (Change password). The caller keeps its session
    (update_session_auth_hash); every other session of the user ends at its next request."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record("user.password_changed", account=user.account, obj=user, by=user,
               summary=f"Password of {user.get_username()} changed")


def reset_password(*, user: User, new_password: str) -> None:
    """A new password set through an e-mailed link: the link proved the user reads that mailbox,
    so the user is the actor. The new password hash makes the link invalid."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record("user.password_reset", account=user.account, obj=user, by=user,
               summary=f"Password of {user.get_username()} reset with an e-mailed link")


def may_reset(user: User) -> bool:
    """Whether a reset link may be sent to (or used by) this login: an active user whose account,
    if it has one, is not suspended."""
    return user.is_active and (user.account_id is None or user.account.is_active)


# --- "Forgot password?" ------------------------------------------------------------------------


def _digest(email: str) -> str:
    """The typed address as the rate limit keeps it: case-folded and keyed with SECRET_KEY, so
    the table holds no address and a copy of it cannot be matched against a list of addresses."""
    return salted_hmac("accounts.passwords.reset_rate", email.strip().casefold(), algorithm="sha256").hexdigest()


def _within_rate(*, email: str, client_ip: str | None) -> bool:
    """Count this request, then whether it is within PASSWORD_RESET_RATE per hour for its client
    address and for its e-mail address. Refused requests count too, so hammering keeps the limit
    shut.

    The row is committed before the count, so requests racing at the limit cannot all pass: the
    last of them to commit counts every one of them (no lock needed, and every app server counts
    the same rows). Expired rows are removed on the way."""
    now = timezone.now()
    with transaction.atomic():
        PasswordResetRequest.objects.filter(at__lt=now - RATE_WINDOW).delete()
        PasswordResetRequest.objects.create(at=now, client_ip=client_ip, email_digest=_digest(email))
    recent = PasswordResetRequest.objects.filter(at__gte=now - RATE_WINDOW)
    rate = settings.PASSWORD_RESET_RATE
    return recent.filter(email_digest=_digest(email)).count() <= rate \
        and recent.filter(client_ip=client_ip).count() <= rate  # no address (None): one shared count


def _same_address(a: str, b: str) -> bool:
    # Django's own comparison (PasswordResetForm): iexact in SQL is not Unicode case folding.
    return unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()


def _users_for(email: str) -> list[User]:
    """The logins a "Forgot password?" for this address reaches: active, with a usable password,
    not of a suspended account."""
    candidates = User.objects.filter(email__iexact=email, is_active=True).select_related("account")
    return [user for user in candidates
            if user.has_usable_password() and may_reset(user) and _same_address(email, user.email)]


def request_reset(*, email: str, client_ip: str | None) -> None:
    """A "Forgot password?" request. Whatever the address, the same work is done and the caller
    gives the same answer: the users are looked up and an e-mail is written either way (for an
    unknown address, to nobody, and dropped). Only a known address within the rate limit gets
    the e-mail, after the commit."""
    within = _within_rate(email=email, client_ip=client_ip)
    users = _users_for(email)
    messages = [_reset_email(user, user.email) for user in users] or [_reset_email(User(email=email), email)]
    if within and users:
        send_after_commit(messages, in_background=True)


# --- a link sent by an admin or a reseller ------------------------------------------------------


def accounts_below(user: User) -> QuerySet:
    """The accounts ``user`` may send a reset link to: every one for an admin, the accounts
    directly below its own for a reseller (the rule of its Customers pages), none otherwise."""
    return managed_accounts(user).select_related("user")


def send_reset_link(*, account: Account) -> str:
    """E-mail the account's login a reset link, at the account's e-mail address, after the commit.
    Returns the address. Raises PasswordError when there is no login, no address, or the account
    is suspended (a suspended account gets no link, as with "Forgot password?")."""
    user = getattr(account, "user", None)
    if user is None:
        raise PasswordError("This account has no login to reset.")
    if not account.email:
        raise PasswordError("This account has no e-mail address: add one with Edit, then send the link.")
    if not may_reset(user):
        raise PasswordError("This account is suspended: reactivate it before sending a reset link.")
    with transaction.atomic():
        record("user.password_reset_sent", account=account, obj=user,
               summary=f"Password reset link for {user.get_username()} sent to {account.email}")
        send_after_commit([_reset_email(user, account.email)], in_background=True)
    return account.email


# --- the e-mail ------------------------------------------------------------------------------------


def reset_link(user: User) -> str:
    path = reverse("passwords:reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    })
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _reset_email(user: User, to: str) -> EmailMessage:
    context = {
        "user": user,
        "link": reset_link(user),
        "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
    }
    subject = render_to_string("accounts/password/reset_email_subject.txt", context).strip()
    body = render_to_string("accounts/password/reset_email.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
