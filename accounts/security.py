"""Login lockouts (django-axes): who is counted, from which address, and what is locked now.

A lockout is per (username, client address) pair (``AXES_LOCKOUT_PARAMETERS``): failures from
one address never lock the same username out from another, so nobody can lock a real user out
from elsewhere. Axes calls the two callables below through ``AXES_USERNAME_CALLABLE`` and
``AXES_CLIENT_IP_CALLABLE``.
"""

import ipaddress
from functools import lru_cache

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


def _address(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as a proxy writes it in X-Forwarded-For: bare, or with a port
    (``203.0.113.7:51234``, ``[2001:db8::1]:443``); None when it is not an address."""
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:
        value = value[1:value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def trusted_networks() -> tuple:
    """``TRUSTED_PROXIES`` as networks (a bare address is a network of one). A typo fails loudly
    at the first request rather than trusting nothing or everything in silence."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _is_trusted(address, networks) -> bool:
    if address is None:
        return False
    if getattr(address, "ipv4_mapped", None):  # ::ffff:10.0.0.1 is 10.0.0.1
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request) -> str | None:
    """The client's address, as the login lockout (``AXES_CLIENT_IP_CALLABLE``) and the audit trail
    record it.

    ``X-Forwarded-For`` is believed only when the peer (``REMOTE_ADDR``) is one of
    ``TRUSTED_PROXIES``; then the header is read from the right, each hop a proxy appended, past
    every trusted proxy, and the first address that is not one is the client: everything further
    left was written by the client and may be forged. A peer that is not trusted (a client that
    reached gunicorn directly) is the client, whatever header it sends. A malformed hop stops the
    walk at the last proxy that wrote a good one.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    networks = trusted_networks()
    if not networks or not _is_trusted(_address(remote), networks):
        return remote
    client = remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not _is_trusted(address, networks):
            break
    return client


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
