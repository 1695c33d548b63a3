"""Start-up checks of the login settings (``manage.py check`` and every server start)."""

import ipaddress
import os

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def trusted_proxies(app_configs=None, **kwargs):
    """Each TRUSTED_PROXIES entry must be an address or a CIDR range; and the removed
    AXES_PROXY_COUNT must not be left in an environment believing it still works (with it
    alone every client would have the proxy's address: one lockout for everyone)."""
    problems = []
    for entry in getattr(settings, "TRUSTED_PROXIES", ()):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            problems.append(Error(f"TRUSTED_PROXIES: {entry!r} is not an address or a CIDR range.",
                                  hint="Write addresses or ranges, comma-separated: 10.0.0.5,10.1.0.0/16",
                                  id="accounts.E001"))
    if os.environ.get("AXES_PROXY_COUNT") and not getattr(settings, "TRUSTED_PROXIES", ()):
        problems.append(Warning(
            "AXES_PROXY_COUNT is no longer read: X-Forwarded-For is believed only from TRUSTED_PROXIES.",
            hint="Set TRUSTED_PROXIES to your proxy's address (nginx on this machine: 127.0.0.1).",
            id="accounts.W001"))
    return problems
