"""The OpenAPI 3 schema (drf-spectacular) and its two readers, Swagger UI and Redoc, served from
the sidecar package's static files (no CDN). Public: the schema is the published contract and
holds no data; "Authorize" in Swagger UI takes a token for trying requests.

Both pages work under the portal's CSP (core/security_headers.py): Swagger UI's start-up
script is a file (drf-spectacular's split view, ``?script``), and our copies of the two
templates (api/templates/api/) drop the inline <style> blocks and Redoc's Google Fonts. Redoc
builds its styles as <style> elements (styled-components): its page's policy is the portal's
with a fresh nonce for those added to style-src, nothing else loosened."""

import secrets

from django.http import Http404
from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from api.problems import PROBLEMS, type_uri
from core.security_headers import csp_header


class SchemaView(SpectacularAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


class SwaggerView(SpectacularSwaggerSplitView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"


# The two <style> elements Redoc's bundle adds while it loads, before it knows the nonce: an empty
# one (filled through the CSSOM, as Bootstrap's script sets styles) and its fixed base CSS, for the
# sidecar version pinned in pyproject.toml (tests/browser/test_api_pages.py fails when it changes).
REDOC_STYLE_HASHES = ("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
                      "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='")


def with_style_nonce(policy: str, nonce: str) -> str:
    """``policy`` with ``'nonce-…'`` and REDOC_STYLE_HASHES added to style-src (or to
    default-src's sources in a new style-src when it has none)."""
    directives = [part.strip() for part in policy.split(";") if part.strip()]
    names = [part.split()[0] for part in directives]
    if "style-src" in names:
        i = names.index("style-src")
        directives[i] += " " + " ".join([f"'nonce-{nonce}'", *REDOC_STYLE_HASHES])
    else:
        default = directives[names.index("default-src")].split()[1:] if "default-src" in names else []
        directives.append(" ".join(["style-src", *default, f"'nonce-{nonce}'", *REDOC_STYLE_HASHES]))
    return "; ".join(directives)


class RedocView(SpectacularRedocView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    template_name = "api/redoc.html"
    url_name = "api:schema"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        nonce = secrets.token_urlsafe(16)
        response = super().get(request, *args, **kwargs)
        response.data["style_nonce"] = nonce
        csp = csp_header()
        if csp:
            name, policy = csp
            response.headers[name] = with_style_nonce(policy, nonce)
        response.headers["Cache-Control"] = "no-store"  # a nonce is for one response
        return response


class ProblemView(TemplateView):
    """/api/problems/<code>: what a problem type means (its ``type`` URI leads here)."""

    template_name = "api/problem.html"

    def get_context_data(self, **kwargs):
        code = kwargs.pop("code")
        if code not in PROBLEMS:
            raise Http404("No such problem type.")
        status, title, meaning = PROBLEMS[code]
        others = [(c, p[0], p[1], type_uri(c)) for c, p in PROBLEMS.items()]
        return super().get_context_data(code=code, status=status, title=title, meaning=meaning,
                                        type_uri=type_uri(code), others=others, **kwargs)
