"""Where a webhook may be sent: public addresses only, unless WEBHOOKS_ALLOW_LOCAL_HTTP is on (a
developer's receiver, the tests'). One rule for both ends: the Webhooks page refuses a URL whose
host is a private, loopback, link-local or reserved IP literal (``is_internal``), and a delivery
resolves the host itself, refuses it when any of its addresses is internal, and connects to the
address it checked (``guarded_connection``): a public name that resolves inside the portal's own
network (or is re-pointed there between check and connect, "DNS rebinding") reaches nothing."""

import ipaddress
import socket

from django.conf import settings


def local_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_LOCAL_HTTP", settings.DEBUG))


def is_internal(address: str) -> bool:
    """True for an IP address inside a private, loopback, link-local or reserved network; False
    for a public one and for text that is not an IP address (a host name)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ('fe80::1%eth0') is not part of it
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


class InternalAddress(OSError):
    """The receiver's host resolves inside a private network: nothing was sent."""


def guarded_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """``socket.create_connection`` for deliveries: the host resolved once, every address checked,
    a connection to a checked address (never a second lookup)."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not local_allowed():
        internal = [info[4][0] for info in infos if is_internal(info[4][0])]
        if internal:
            raise InternalAddress(f"{host} resolves to {internal[0]}, inside a private network: not sent")
    error = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"{host} has no address")
