"""Sets the audit context (audit/context.py) for each web request: source "ui", the
client's address as the login lockout reads it (accounts.security.client_ip: REMOTE_ADDR,
or X-Forwarded-For when REMOTE_ADDR is one of TRUSTED_PROXIES), and the request, whose user
and "log in as" admin are read only when a row is written. Put it after
AuthenticationMiddleware."""

import ipaddress

from accounts.security import client_ip
from audit import context


def request_ip(request) -> str | None:
    """The client's address, or None when there is none that is an IP address (a unix
    socket): the audit row keeps it in an inet column and must never fail on it."""
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with context.using(source=context.UI, ip=request_ip(request), request=request, actor=None,
                           on_behalf_of_id=None, on_behalf_of_name=""):
            return self.get_response(request)
