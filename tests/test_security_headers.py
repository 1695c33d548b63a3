"""Issue 8: the security headers, and templates the Content Security Policy can live with.

The CSP (settings.CSP_POLICY, core/security_headers.py) allows no inline script
or style, so the templates may carry no <script> block, no <style> element, no style=
attribute, no on...= handler and no javascript: URL; the pages they render may not either
(crispy-forms and the widgets render markup the templates do not show).
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from billing.subscriptions.purchase import purchase_did
from core.security_headers import SecurityHeadersMiddleware, csp_header
from tests.factories import DIDFactory

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *sorted(p for p in ROOT.glob("*/templates") if ".venv" not in p.parts)]

# What a strict CSP blocks in markup. Django template tags ({% %}, {{ }}) are left in:
# a style="{{ x }}" is still a style attribute.
FORBIDDEN = {
    "inline <script> (no src)": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on...= event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def inline_code(text: str) -> list[tuple[int, str, str]]:
    """Each forbidden thing in ``text``: (line number, what, the line)."""
    found = []
    for what, pattern in FORBIDDEN.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((line, what, text.splitlines()[line - 1].strip()[:160]))
    return found


# --- templates ---------------------------------------------------------------

def test_the_walker_finds_what_it_must():
    bad = ('<div style="width: 1px"></div><script>alert(1)</script><style>p{}</style>'
           '<a href="javascript:void(0)" onclick="x()">x</a><img src="x" ONERROR = "y">')
    kinds = {what for _, what, _ in inline_code(bad)}
    assert kinds == set(FORBIDDEN)
    fine = ('<script src="/static/a.js" defer></script><div class="mw-820" data-onload="x">'
            '<p>Calls go on ringing</p><input name="on">')
    assert inline_code(fine) == []


def test_templates_have_no_inline_script_or_style():
    templates = [p for d in TEMPLATE_DIRS for p in sorted(d.rglob("*")) if p.is_file() and p.suffix in {".html", ".txt"}]
    assert len(templates) > 50, TEMPLATE_DIRS  # the walk found the templates
    problems = [f"{p.relative_to(ROOT)}:{line}: {what}: {snippet}"
                for p in templates for line, what, snippet in inline_code(p.read_text())]
    assert problems == [], "\n".join(problems)


def test_the_static_scripts_are_files_the_pages_load():
    # The only scripts: Bootstrap's bundle (base.html) and bulk-select.js (did_list.html).
    for name in ("bootstrap/js/bootstrap.bundle.min.js", "portal/bulk-select.js"):
        assert (ROOT / "static" / name).is_file()


# --- headers -----------------------------------------------------------------

def assert_security_headers(response):
    where = f"{response.request['PATH_INFO']} ({response.status_code})"
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("script-src") == ["'self'"], where
    assert directives.get("style-src") == ["'self'"], where
    assert directives.get("default-src") == ["'self'"], where
    assert directives.get("object-src") == ["'none'"], where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert "Content-Security-Policy-Report-Only" not in response.headers, where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert response.headers.get("Permissions-Policy") == "camera=(), microphone=(), geolocation=()", where


@pytest.fixture
def held_did(reseller_user, customer_user):
    did = DIDFactory(setup_fee="0", monthly_fee="0")
    purchase_did(buyer_id=reseller_user.account_id, did_id=did.pk, purchase_key="r")
    purchase_did(buyer_id=customer_user.account_id, did_id=did.pk, purchase_key="c")
    return did


def _pages(role, did):
    return {
        "anonymous": ["/accounts/login/", "/no-such-page/"],
        "admin": ["/dids/", "/dids/create/", f"/dids/{did.pk}/edit/", f"/dids/{did.pk}/edit-info/",
                  "/dids/providers/create/", "/dids/import/", "/accounts/manage/", "/accounts/manage/create/",
                  "/calls/", "/calls/import/", "/billing/audit/", "/routing/tokens/create/", "/margins/",
                  "/no-such-page/"],
        "reseller": ["/portal/dids/", "/portal/dids/buy/", f"/portal/dids/{did.pk}/edit-info/",
                     f"/portal/dids/{did.pk}/destination/", "/portal/statement/", "/portal/calls/",
                     "/portal/account/", "/portal/margins/"],
        "customer": [f"/portal/dids/{did.pk}/destination/", f"/portal/dids/{did.pk}/edit-info/", "/portal/statement/"],
    }[role]


@pytest.mark.parametrize("role", ["anonymous", "admin", "reseller", "customer"])
def test_pages_send_the_headers_and_no_inline_code(role, client, admin_user, reseller_user, customer_user, held_did):
    users = {"admin": admin_user, "reseller": reseller_user, "customer": customer_user}
    if role in users:
        client.force_login(users[role])
    for url in _pages(role, held_did):
        response = client.get(url)
        assert response.status_code == (404 if "no-such" in url else 200), url
        assert_security_headers(response)
        # No HSTS outside production: the test client speaks plain HTTP, as development does.
        assert "Strict-Transport-Security" not in response.headers
        assert inline_code(response.content.decode()) == [], url


def test_other_responses_get_the_headers_too(admin_client, held_did):
    csv = admin_client.get("/dids/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert_security_headers(csv)
    forbidden = admin_client.get("/portal/statement/")  # an admin has no statement of its own
    assert forbidden.status_code in (302, 403, 404)
    assert "Content-Security-Policy" in forbidden.headers


def test_the_middlewares_are_installed(settings):
    middleware = settings.MIDDLEWARE
    assert "core.security_headers.SecurityHeadersMiddleware" in middleware
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in middleware
    assert middleware.index("django.middleware.security.SecurityMiddleware") < \
        middleware.index("core.security_headers.SecurityHeadersMiddleware")
    assert settings.X_FRAME_OPTIONS == "DENY"


@override_settings(CSP_REPORT_ONLY=True)
def test_report_only_mode_sends_the_policy_without_enforcing_it(client, db):
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy" not in response.headers
    assert "script-src 'self'" in response.headers["Content-Security-Policy-Report-Only"]


@override_settings(CSP_POLICY="")
def test_an_empty_policy_sends_no_csp(client, db):
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy" not in response.headers
    assert "Content-Security-Policy-Report-Only" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


@override_settings(CSP_POLICY="default-src 'self';\n  script-src 'self' https://stats.example.com")
def test_a_policy_over_several_lines_is_sent_on_one():
    assert csp_header() == ("Content-Security-Policy", "default-src 'self'; script-src 'self' https://stats.example.com")


def test_a_header_the_view_set_is_kept(rf):
    def view(request):
        from django.http import HttpResponse

        response = HttpResponse("<p>embed me</p>")
        response.headers["Content-Security-Policy"] = "frame-ancestors https://partner.example.com"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/"))
    assert response.headers["Content-Security-Policy"] == "frame-ancestors https://partner.example.com"
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"


@override_settings(DEBUG=True)
def test_django_debug_pages_keep_their_inline_css(client, db):
    # DEBUG only: the technical 404 page styles itself inline; a CSP would leave it bare.
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


# --- production profile ------------------------------------------------------

PRODUCTION_PROBE = """
import json, django
django.setup()
from django.test import Client, override_settings
# Production stores static files with a manifest that only collectstatic writes; the
# headers do not depend on it.
with override_settings(STORAGES={
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}):
    client = Client(HTTP_HOST="portal.example.com")
    out = {}
    for name, path, secure in [("login", "/accounts/login/", True), ("404", "/no-such-page/", True),
                               ("plain_http", "/accounts/login/", False)]:
        r = client.get(path, secure=secure)
        out[name] = {"status": r.status_code, "headers": dict(r.headers)}
print("PROBE " + json.dumps(out))
"""


def _production(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY", "CSP_REPORT_ONLY", "CSP_POLICY"}}
    full = {**clean, "DJANGO_SETTINGS_MODULE": "billing_portal.settings", "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "portal.example.com", **env}
    result = subprocess.run([sys.executable, "-c", PRODUCTION_PROBE], cwd=ROOT, env=full, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("PROBE "))
    return json.loads(line[len("PROBE "):])


def test_production_sends_hsts_and_the_policy_over_https():
    probe = _production()
    for name in ("login", "404"):
        page = probe[name]
        assert page["status"] == (200 if name == "login" else 404)
        headers = page["headers"]
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    # Plain HTTP is sent to HTTPS, with no HSTS (browsers ignore it over HTTP anyway).
    plain = probe["plain_http"]
    assert plain["status"] == 301
    assert plain["headers"]["Location"] == "https://portal.example.com/accounts/login/"
    assert "Strict-Transport-Security" not in plain["headers"]


def test_production_report_only_from_the_environment():
    headers = _production(CSP_REPORT_ONLY="1")["login"]["headers"]
    assert "Content-Security-Policy" not in headers
    assert "script-src 'self'" in headers["Content-Security-Policy-Report-Only"]
