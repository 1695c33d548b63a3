"""Errors as RFC 9457 problem details (``application/problem+json``): the one place that turns
an exception into an answer, for every endpoint (REST_FRAMEWORK's EXCEPTION_HANDLER).

Every problem has ``type`` (``{PORTAL_BASE_URL}/api/problems/<code>``, a page that explains it),
``title`` (fixed per type), ``status``, ``detail`` (this occurrence, in the words the pages use),
``code`` (the type's stable slug: compare this, not the URL, which differs between installations)
and ``instance`` (the path asked for). A 422 adds ``errors``: {field: [messages]} (nested fields as
``items.0.number``). docs/api.md lists them with examples.

The service errors the pages show as form errors (``CatalogueError``, ``PurchaseRefused``...)
map here to 422 (or 409 for a DID sold a moment ago) with the same message: an endpoint lets
them through and this module answers (``SERVICE_ERRORS``).
"""

import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from accounts.services import AccountError
from api.exceptions import AccountSuspended, Conflict, Problem  # noqa: F401  (Conflict: for the endpoints)
from api.tokens import TokenRefused
from billing.ledger.funds import FundsError
from billing.prices.book import PriceRefused
from billing.prices.rate_book import RatesRefused
from billing.subscriptions.purchase import PurchaseRefused
from billing.subscriptions.release import ReleaseRefused
from core.db_timeouts import BUSY_MESSAGE, RETRY_AFTER_SECONDS, timeout_code
from dids.services import CatalogueError
from notices.preferences import SettingsRefused
from routing.destinations import DestinationRefused

logger = logging.getLogger("billing_portal.api")

CONTENT_TYPE = "application/problem+json"

# code -> (status, title, what it means: the /api/problems/<code> page and docs/api.md)
PROBLEMS = {
    "malformed-request": (400, "Malformed request", "The body is not valid JSON. Nothing was changed."),
    "not-authenticated": (401, "Authentication required",
                          "No token, or one that is unknown, revoked or expired. Send "
                          "Authorization: Bearer <token> with a live token from the API tokens page."),
    "forbidden": (403, "Forbidden", "The token's account may not do this (the same rights as its pages)."),
    "account-suspended": (403, "Account suspended",
                          "The token is valid but its account is suspended: every request is refused until the "
                          "account is reactivated (the token need not be replaced)."),
    "not-found": (404, "Not found", "Nothing here, or nothing this account may see (another account's "
                                    "objects answer 404, never 403)."),
    "method-not-allowed": (405, "Method not allowed", "This path does not take this method (see the Allow header)."),
    "not-acceptable": (406, "Not acceptable", "The API answers JSON only."),
    "conflict": (409, "Conflict", "The request conflicts with the current state; nothing was changed."),
    "did-sold": (409, "DID already sold", "The DID was bought by someone else a moment ago; nothing was charged."),
    "unsupported-media-type": (415, "Unsupported media type", "Send the body as application/json."),
    "validation": (422, "Invalid request", "Some fields are not valid: see errors, field by field. "
                                           "Nothing was changed."),
    "refused": (422, "Refused", "The portal's rules refuse this request, as its page would, with the same "
                                "message. Nothing was changed."),
    "throttled": (429, "Too many requests", "This token sent more requests than API_THROTTLE_RATE allows; "
                                            "wait Retry-After seconds."),
    "busy": (503, "Busy", "The database is busy with this record; nothing was changed. Try again after "
                          "Retry-After seconds."),
}
BY_STATUS = {400: "malformed-request", 401: "not-authenticated", 403: "forbidden", 404: "not-found",
             405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 415: "unsupported-media-type",
             422: "validation", 429: "throttled", 503: "busy"}


def type_uri(code: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/api/problems/{code}"


# --- the service errors the pages show, and their answers ------------------------------------

def _sold(exc) -> bool:
    # billing/subscriptions/purchase.py's and purchase_many.py's wording for a DID taken meanwhile
    # (tests/api/test_problems.py pins it against the real purchase).
    return "just bought by someone else" in str(exc)


# (exception class, code, when): the first that matches answers; the message is the page's.
SERVICE_ERRORS = [
    (PurchaseRefused, "did-sold", _sold),
    (PurchaseRefused, "refused", None),
    (ReleaseRefused, "refused", None),
    (PriceRefused, "refused", None),
    (RatesRefused, "refused", None),
    (CatalogueError, "refused", None),
    (AccountError, "refused", None),
    (FundsError, "refused", None),
    (DestinationRefused, "refused", None),
    (SettingsRefused, "refused", None),
    (TokenRefused, "refused", None),
]


def field_errors(exc) -> dict[str, list[str]]:
    """{field: [messages]} of a service error: its ``field``, or RatesRefused's ``errors``."""
    if isinstance(getattr(exc, "errors", None), dict):
        return {name: [str(message)] for name, message in exc.errors.items() if name}
    field = getattr(exc, "field", None)
    return {field: [str(exc)]} if field else {}


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "items.0.number": [...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for name, inner in detail.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            for k, v in flatten(inner, key).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, inner in enumerate(detail):
            for k, v in flatten(inner, f"{prefix}.{index}" if prefix else str(index)).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        out[prefix] = [str(item) for item in detail]
    else:
        out[prefix] = [str(detail)]
    return out


# --- the answer ---------------------------------------------------------------------------------

def problem_response(code: str, detail: str, *, request=None, errors: dict | None = None,
                     headers: dict | None = None) -> Response:
    status, title, _ = PROBLEMS[code]
    body = {"type": type_uri(code), "title": title, "status": status, "detail": str(detail), "code": code}
    if request is not None:
        body["instance"] = request.get_full_path()
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status, headers=headers, content_type=CONTENT_TYPE)


def _validation(detail, request, code="validation") -> Response:
    errors = flatten(detail)
    general = errors.pop("non_field_errors", []) + errors.pop("", [])
    message = " ".join(general) or PROBLEMS[code][2]
    return problem_response(code, message, request=request, errors=errors)


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error of every endpoint as a problem.
    Anything it does not know is raised on (a 500, logged by Django)."""
    request = context.get("request")
    response = _answer(exc, request)
    if response is not None:
        set_rollback()
    return response


def _answer(exc, request):
    if isinstance(exc, Http404):
        return problem_response("not-found", "Not found.", request=request)
    if isinstance(exc, DjangoPermissionDenied):
        return problem_response("forbidden", str(exc) or PROBLEMS["forbidden"][2], request=request)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return _validation(detail, request)
    for cls, code, when in SERVICE_ERRORS:
        if isinstance(exc, cls) and (when is None or when(exc)):
            return problem_response(code, str(exc), request=request,
                                    errors=field_errors(exc) if PROBLEMS[code][0] == 422 else None)
    if timeout_code(exc):
        logger.warning("API request %s gave up waiting for the database: %s", getattr(request, "path", "?"), exc)
        return problem_response("busy", BUSY_MESSAGE, request=request,
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if not isinstance(exc, exceptions.APIException):
        return None
    if isinstance(exc, exceptions.ValidationError):
        return _validation(exc.detail, request)
    headers = {}
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    if isinstance(exc, Problem):
        detail = exc.detail if str(exc.detail) != exc.code else PROBLEMS[exc.code][2]
        return problem_response(exc.code, detail, request=request, errors=exc.errors, headers=headers)
    if isinstance(exc, AccountSuspended):
        code = "account-suspended"
    else:
        code = BY_STATUS.get(exc.status_code)
    if code is None:
        return None
    detail = exc.detail if isinstance(exc.detail, str) else " ".join(flatten(exc.detail).get("", [])) or \
        PROBLEMS[code][2]
    return problem_response(code, detail, request=request, headers=headers)


def not_found_response(request):
    """A 404 problem for a path under /api/ that no route matches (api/middleware.py): rendered
    here, outside any DRF view."""
    from rest_framework.renderers import JSONRenderer

    response = problem_response("not-found", "No such path in the API.", request=request)
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = CONTENT_TYPE
    response.renderer_context = {}
    return response.render()
