"""API tokens: made once, shown once, kept only as a SHA-256 digest (the switch tokens' scheme,
routing/tokens.py, with an owner, an expiry and the last use).

Who sees which tokens (``tokens_for``): an admin the operator's (every admin's), a reseller or a
customer its own account's. Creating and revoking are audited on the account (none: the
operator). ``live_token`` is the one query of the bearer authentication (api/authentication.py);
``note_use`` writes the last use at most once a minute.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import acting_user
from api.models import ApiToken
from audit.record import record as audit
from core.ownership import operator_or_own

SCHEME = "didp_"  # every secret starts with it: secret scanners and people recognise it
PREFIX_LENGTH = len(SCHEME) + 8  # what the lists show: 48 of the 256 random bits, not enough to use
MAX_TOKEN_LENGTH = 200  # longer is never ours: refused before hashing
LAST_USE_EVERY = timedelta(minutes=1)  # the last use is written at most this often


class TokenRefused(Exception):
    """Nothing was made; ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_for(user):
    """The tokens ``user`` may see and revoke: the operator's for an admin, its account's otherwise."""
    return operator_or_own(ApiToken.objects.all(), user)


def _whose(token: ApiToken) -> str:
    return f"of {token.account}" if token.account_id else "of the operator"


def create_token(*, user, name: str, expires_at=None, by=None, now=None) -> tuple[ApiToken, str]:
    """A new token acting as ``user``: (its row, the secret to show once)."""
    now = now or timezone.now()
    if not user.is_portal_admin and user.account_id is None:
        raise TokenRefused("API tokens belong to the operator's admins and to accounts.")
    name = (name or "").strip()
    if not name:
        raise TokenRefused("Enter a name.", field="name")
    if expires_at is not None and expires_at <= now:
        raise TokenRefused("The expiry must be in the future.", field="expires_at")
    secret = SCHEME + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(
            name=name[:80], user=user, account_id=None if user.is_portal_admin else user.account_id,
            prefix=secret[:PREFIX_LENGTH], digest=digest(secret), created_at=now, expires_at=expires_at,
        )
        audit("api_token.created", account=row.account, obj=row, by=by or user,
              summary=f"API token {row.name} ({row.prefix}…) created {_whose(row)}, acting as {user.get_username()}",
              changes={"expires_at": (None, expires_at)})
    return row, secret


def revoke_token(token: ApiToken, *, by=None) -> bool:
    """Revoke it now; False when it already was (the first revocation's time is kept)."""
    with transaction.atomic():
        revoked = bool(ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()))
        if revoked:
            audit("api_token.revoked", account=token.account, obj=token, by=acting_user(by),
                  summary=f"API token {token.name} ({token.prefix}…) {_whose(token)} revoked")
    return revoked


class Refusal:
    """Why a presented secret does not authenticate (the 401's detail)."""

    MISSING = "The Authorization header has no token after Bearer."
    UNKNOWN = "The token is not valid."
    REVOKED = "The token was revoked."
    EXPIRED = "The token has expired."
    INACTIVE = "The token's login is deactivated."


def live_token(secret: str, now=None) -> tuple[ApiToken | None, str]:
    """One indexed query: (the token with its user and account, "") or (None, why not)."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None, Refusal.UNKNOWN
    token = ApiToken.objects.select_related("user", "user__account").filter(digest=digest(secret)).first()
    if token is None:
        return None, Refusal.UNKNOWN
    if token.revoked_at is not None:
        return None, Refusal.REVOKED
    if token.expires_at is not None and token.expires_at <= (now or timezone.now()):
        return None, Refusal.EXPIRED
    if not token.user.is_active:
        return None, Refusal.INACTIVE
    return token, ""


def note_use(token: ApiToken, ip: str | None, now=None) -> bool:
    """Record the last use (time and address) when the one recorded is LAST_USE_EVERY old or
    more: no query in between, and one conditional UPDATE, so that several workers seeing the
    same token write it once between them."""
    now = now or timezone.now()
    stale = now - LAST_USE_EVERY
    if token.last_used_at is not None and token.last_used_at > stale:
        return False
    changed = ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=token.pk) \
        .update(last_used_at=now, last_used_ip=ip)
    if changed:
        token.last_used_at, token.last_used_ip = now, ip
    return bool(changed)
