"""The browser-side security headers Django 5.2 does not send by itself.

``SecurityHeadersMiddleware`` adds to every response (HTML pages, but also CSV, JSON and
the static files WhiteNoise serves, where they do no harm):

- ``Content-Security-Policy`` = ``settings.CSP_POLICY``: scripts, styles, fonts, images
  and fetches only from this site, no plugins, no <base>, forms post only here, and no
  framing. Nothing inline: the templates carry no <script> blocks, no ``style=``
  attributes, no ``on...=`` handlers and no ``javascript:`` links (tests/test_security_headers.py
  walks them). Bootstrap's own JS setting ``element.style`` is not affected: CSP blocks
  style *markup*, not the CSSOM.
  With ``settings.CSP_REPORT_ONLY`` (env CSP_REPORT_ONLY=1) the same policy is sent as
  ``Content-Security-Policy-Report-Only``: the browser reports violations in its console
  (and to a ``report-uri`` if the policy names one) but blocks nothing. An empty
  CSP_POLICY sends neither header.
- ``Permissions-Policy`` = ``settings.PERMISSIONS_POLICY``: no camera, microphone or
  geolocation for this site or anything it embeds.

A header a view has already set is left alone. With DEBUG on, Django's technical 404 and
500 pages (inline CSS and JS) are sent without a CSP so they stay readable.

The rest comes from Django: SecurityMiddleware (nosniff, Referrer-Policy,
Cross-Origin-Opener-Policy; HSTS and the HTTPS redirect in production only) and
XFrameOptionsMiddleware (X-Frame-Options: DENY).
"""

from django.conf import settings

ENFORCE = "Content-Security-Policy"
REPORT_ONLY = "Content-Security-Policy-Report-Only"


def csp_header() -> tuple[str, str] | None:
    """(header name, policy) for the current settings, or None when CSP_POLICY is empty.
    Newlines and runs of spaces in the setting (an environment value split over lines)
    become single spaces: a header value is one line."""
    policy = " ".join(str(getattr(settings, "CSP_POLICY", "") or "").split())
    if not policy:
        return None
    return (REPORT_ONLY if getattr(settings, "CSP_REPORT_ONLY", False) else ENFORCE), policy


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        csp = csp_header()
        if csp and not (settings.DEBUG and response.status_code in (404, 500)):
            name, policy = csp
            if ENFORCE not in response.headers and REPORT_ONLY not in response.headers:
                response.headers[name] = policy
        permissions = getattr(settings, "PERMISSIONS_POLICY", "")
        if permissions:
            response.headers.setdefault("Permissions-Policy", permissions)
        return response
