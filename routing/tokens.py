"""Switch tokens: made once, shown once, kept only as a SHA-256 digest.

A lookup presents its token in one of three ways, whichever the switch can send:
``Authorization: Bearer <token>``, ``X-Switch-Token: <token>``, or HTTP basic
auth with the token as the password (mod_xml_curl can only do basic auth).
"""

import base64
import binascii
import hashlib
import secrets

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import acting_user
from audit.record import record as audit
from core.countries import country_name
from routing.models import SwitchToken

PREFIX_LENGTH = 8
MAX_TOKEN_LENGTH = 200  # longer is never ours: refuse before hashing


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, by=None, country: str = "") -> tuple[SwitchToken, str]:
    """A new token for switch ``name``: (its row, the plain token to show once). ``country``:
    where the called numbers it sends without a calling code belong."""
    plain = secrets.token_urlsafe(32)
    with transaction.atomic():
        row = SwitchToken.objects.create(
            name=name, digest=digest(plain), prefix=plain[:PREFIX_LENGTH], created_by=acting_user(by), country=country
        )
        audit("switch_token.created", obj=row, by=by, summary=f"Switch token {name} created ({row.prefix}…)",
              changes={"country": (None, country)})
    return row, plain


def set_country(token: SwitchToken, country: str, *, before: str, by=None) -> None:
    with transaction.atomic():
        SwitchToken.objects.filter(pk=token.pk).update(country=country)
        token.country = country
        names = [country_name(code) if code else "none" for code in (before, country)]
        audit("switch_token.changed", obj=token, by=by, summary=f"Switch token {token.name}: country of national "
              f"numbers {names[0]} -> {names[1]}", changes={"country": (before, country)})


def revoke(token: SwitchToken, by=None) -> bool:
    """Revoke it now; False when it already was (the first revocation's time is kept)."""
    with transaction.atomic():
        revoked = bool(SwitchToken.objects.filter(pk=token.pk, revoked_at__isnull=True)
                       .update(revoked_at=timezone.now()))
        if revoked:
            audit("switch_token.revoked", obj=token, by=by, summary=f"Switch token {token.name} revoked")
    return revoked


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
_LIVE = f"SELECT country FROM {SwitchToken._meta.db_table} WHERE digest = %s AND revoked_at IS NULL"


class Switch:
    """The switch a valid token belongs to, as much as a lookup needs."""

    __slots__ = ("country",)

    def __init__(self, country: str):
        self.country = country or None  # called numbers without a calling code are national numbers here


def switch_for(token: str) -> Switch | None:
    """One indexed query: the switch of a token that exists and is not revoked, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_LIVE, [digest(token)])
        row = cursor.fetchone()
    return None if row is None else Switch(row[0])
