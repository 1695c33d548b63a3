"""Login lockouts (django-axes): who is counted, from which address, and what is locked now.

A lockout is per (username, client address) pair (``AXES_LOCKOUT_PARAMETERS``): failures from
one address never lock the same username out from another, so nobody can lock a real user out
from elsewhere. Axes calls the two callables below through ``AXES_USERNAME_CALLABLE`` and
``AXES_CLIENT_IP_CALLABLE``.
"""

import ipaddress

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


def lockout_username(request, credentials=None) -> str | None:
    """The username as axes records and compares it: stripped and case-folded, so that
    ``Admin`` and ``admin`` count as one."""
    if credentials:
        value = credentials.get("username")
    else:
        value = request.POST.get("username") if request is not None else None
    if value is None:
        return None
    return str(value).strip().casefold()[:255]  # axes' column holds 255


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request) -> str | None:
    """The client's address. Behind N proxies (``AXES_IPWARE_PROXY_COUNT``, env
    ``AXES_PROXY_COUNT``) it is the N-th address from the right of X-Forwarded-For: each proxy
    appends the address it was reached from, and everything further left was sent by the
    client and may be forged. Without proxies (0), or when the header is shorter than the
    proxy chain or malformed, REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.AXES_IPWARE_PROXY_COUNT or 0
    if count <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(chain) < count:
        return remote
    candidate = chain[-count]
    return candidate if _valid_ip(candidate) else remote


def cool_off_minutes() -> int:
    return max(1, round(get_cool_off().total_seconds() / 60))


def current_lockouts():
    """The (username, address) pairs locked out now, newest first: axes' own rule, at least
    ``AXES_FAILURE_LIMIT`` failures recorded within the cool-off (summed over user agents,
    so changing the user agent does not help). Each row: username, ip_address, failures,
    last_failure, until."""
    cool_off = get_cool_off()
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last_failure=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last_failure", "username", "ip_address")
    )
    # Every failure during a lockout restarts the cool-off (axes' default), so a lockout
    # ends one cool-off after its last failure.
    return [{**row, "until": row["last_failure"] + cool_off} for row in rows]


def unlock(*, username: str, ip_address: str | None) -> int:
    """End the lockout of one (username, address) pair; the failure log is kept.
    Returns the number of attempt records removed."""
    attempts = AccessAttempt.objects.filter(username=lockout_username(None, {"username": username}))
    attempts = attempts.filter(ip_address=ip_address) if ip_address else attempts.filter(ip_address__isnull=True)
    count, _ = attempts.delete()
    return count
