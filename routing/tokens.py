"""Switch tokens: made once, shown once, kept only as a SHA-256 digest.

A lookup presents its token in one of three ways, whichever the switch can send:
``Authorization: Bearer <token>``, ``X-Switch-Token: <token>``, or HTTP basic
auth with the token as the password (mod_xml_curl can only do basic auth).
"""

import base64
import binascii
import hashlib
import secrets

from django.db import connection
from django.utils import timezone

from accounts.models import acting_user
from routing.models import SwitchToken

PREFIX_LENGTH = 8
MAX_TOKEN_LENGTH = 200  # longer is never ours: refuse before hashing


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, by=None) -> tuple[SwitchToken, str]:
    """A new token for switch ``name``: (its row, the plain token to show once)."""
    plain = secrets.token_urlsafe(32)
    row = SwitchToken.objects.create(
        name=name, digest=digest(plain), prefix=plain[:PREFIX_LENGTH], created_by=acting_user(by)
    )
    return row, plain


def revoke(token: SwitchToken) -> bool:
    """Revoke it now; False when it already was (the first revocation's time is kept)."""
    return bool(SwitchToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def presented(request) -> str:
    """The token the request carries, or ''."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return request.META.get("HTTP_X_SWITCH_TOKEN", "").strip()


# Plain SQL: the ORM would spend longer building this query than the database answering it.
_LIVE = f"SELECT 1 FROM {SwitchToken._meta.db_table} WHERE digest = %s AND revoked_at IS NULL"


def is_valid(token: str) -> bool:
    """One indexed query: a token that exists and is not revoked."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    with connection.cursor() as cursor:
        cursor.execute(_LIVE, [digest(token)])
        return cursor.fetchone() is not None
