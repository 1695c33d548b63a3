"""Permission matrix (issue 8): every URL pattern of the project, as every role, against
objects owned by each, with GET and POST, gets the answer MATRIX says.

The patterns come from the URL resolver, so a new page is walked automatically and
fails test_every_page_is_classified until it has a row in MATRIX. Only Django's own
admin (/django-admin/, tested at the end of this file) is left out of the walk.

The world (tests/security/objects.py): anonymous, admin, resellerA, resellerB,
subresellerA (under A), customerA (under A), customerB (under B); DIDs held along
chains (A, A>custA, A>subA, B, B>custB), the operator's pool, an Inactive DID, providers,
a DID import, a CDR import, a switch token, the admin's unconfirmed previews and another
admin's. A POST is empty: the point is who gets an answer, and a refused request (and
every GET) must leave every row as it was. Every page a reseller or customer gets (200)
is also searched for another tenant's account numbers and names, DID numbers, call ids
and destinations (World.foreign_text).

Also here: CSRF on every POST, the switch's endpoints with a token, the audit trail's
"log in as", searches and CSV exports, the login's redirect, Django's own admin.
"""

import base64
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.security.objects import (  # noqa: F401, F811  (world is a fixture)
    ACCOUNT_ROLES, ADMIN, ANONYMOUS, CHAINS, CUST_A, CUST_B, DESTINATIONS, GRAND_A, MISSING_NUMBER, MISSING_PK,
    MISSING_TOKEN, PARENT, RES_A, RES_B, RESELLERS, ROLES, SUB_A, changes_since_pristine, client_for, rolled_back, world,
)

pytestmark = pytest.mark.django_db

# --- the rules --------------------------------------------------------------------------

# Who may use a page.
PUBLIC = "public"  # the login page: anonymous only; a logged-in user is sent on
HOME = "home"  # sends each role to its first page (anonymous: the login page)
LOGOUT = "logout"  # POST only, for everybody
SWITCH = "switch"  # the softswitch's token only: 401 to everybody else, even an admin's session
PROBE = "probe"  # the load balancer's health check: the same answer to everybody
ADMIN_ONLY = "admin"  # staff: anonymous -> login, reseller/customer -> 403
ACCOUNT = "account"  # resellers and customers (about their own account): admin -> 403
RESELLER = "reseller"  # resellers only: customer -> 403, admin -> 403
LOGGED_IN = "logged in"  # anybody logged in (anonymous -> login)
ABOVE = "above"  # an admin: any account; a reseller: the accounts directly below it (others 404); customer -> 403
API = "api"  # the REST API (bearer token only): a session is no login there, 401 problem+json to everybody
DOCS = "docs"  # the API's schema, its docs and problem types: public, the same answer to everybody
OWN_TOKEN = "own token"  # a login's own API token or webhook (an admin: the operator's): the owner only, others 404

# Which objects of the URL an account page lets its user reach (others: 404).
HOLDER = "holder"  # DIDs it holds (an active subscription, sold on or not)
POOL = "pool"  # DIDs it may buy: its parent's unsold pool
OWN = "own"  # its own account number
CHILD = "child"  # an account directly under it (a reseller's Customers pages)

LOGIN = "login"  # expected answer: 302 to the login page


@dataclass(frozen=True)
class Rule:
    access: str
    obj: str | None = None  # what the URL's converters point at: a key of CASES
    get: object = 200  # answer to a GET by someone allowed, about an object it may reach
    post: object = 405  # answer to an empty POST: an int, LOGIN, or {"reseller": .., "customer": ..}
    scope: str | None = None  # account pages with an object: HOLDER, POOL, OWN or CHILD
    writes: bool = False  # the empty POST of one allowed is an action (a confirmation page's button, log in as)
    skip: frozenset = frozenset()  # (method, case label) not sent, and why, next to the rule


# Answers of a POST on a page whose POST depends on the kind of account the page is about.
BY_KIND_200_404 = {"reseller": 200, "customer": 404}  # Edit Info: customers have no sell cost to edit
# A live preview's Confirm/Discard moves files that a savepoint cannot bring back: confirmed
# and discarded for real in tests/dids/test_import_pages.py and tests/calls/test_call_pages.py.
LIVE_PREVIEW = frozenset({("POST", "own preview")})

MATRIX: dict[str, Rule] = {
    # --- session ------------------------------------------------------------------------
    "home": Rule(LOGGED_IN, post=405),  # each role's dashboard (issue 17); anonymous: the login page
    "healthz": Rule(PROBE, get=200, post=405),
    "login": Rule(PUBLIC, get=200, post=200),  # empty POST: the form again with its errors
    "logout": Rule(LOGOUT, get=405, post=LOGIN),
    "login_security": Rule(ADMIN_ONLY),
    "login_unlock": Rule(ADMIN_ONLY, get=405, post=302),  # nothing chosen: a message, nothing unlocked
    # --- two-factor login (each user's own; nobody in the world has it on) -------------------
    "two_factor:status": Rule(LOGGED_IN),
    "two_factor:start": Rule(LOGGED_IN, get=405, post=302),  # a new secret of one's own, then the set-up page
    "two_factor:setup": Rule(LOGGED_IN, get=302, post=302),  # nothing being set up: back to the status page
    "two_factor:recovery_codes": Rule(LOGGED_IN, get=302),  # no codes just made: back to the status page
    "two_factor:regenerate": Rule(LOGGED_IN, get=405, post=302),  # two-factor off: a message, nothing made
    "two_factor:disable": Rule(LOGGED_IN, get=405, post=302),  # two-factor off: a message, nothing changed
    "two_factor:verify": Rule(PUBLIC, get=LOGIN, post=LOGIN),  # no password step before it: the login page
    # --- audit trail and "log in as" --------------------------------------------------------
    "audit:list": Rule(ADMIN_ONLY),
    "audit:did": Rule(ADMIN_ONLY, "did"),
    "audit:account": Rule(ADMIN_ONLY, "account"),
    "audit:login_as": Rule(ADMIN_ONLY, "account", get=405, post=302, writes=True),  # the admin becomes the account
    "audit:return": Rule(LOGGED_IN, get=405, post=403),  # only a "log in as" session has an admin to return to
    # --- passwords: change, forgot (public, like the login page), a reset link sent from above -------
    "passwords:change": Rule(LOGGED_IN, post=200),  # empty POST: the form again with its errors
    "passwords:reset": Rule(PUBLIC, post=200),  # empty POST: "This field is required", nothing sent
    "passwords:reset_done": Rule(PUBLIC),
    "passwords:reset_confirm": Rule(PUBLIC, "reset_link", post=200),  # a link not valid: says so
    "passwords:reset_complete": Rule(PUBLIC),
    "passwords:send_reset": Rule(ABOVE, "number", get=405, post=302, writes=True),  # e-mails a link, or says why not
    # --- accounts (admin) -----------------------------------------------------------------
    "manage:list": Rule(ADMIN_ONLY),
    "manage:create": Rule(ADMIN_ONLY, post=200),
    "manage:edit": Rule(ADMIN_ONLY, "account", post=200),
    "manage:status": Rule(ADMIN_ONLY, "account", post=302),  # GET: the confirmation page; no status posted: a message
    "billing:account": Rule(ADMIN_ONLY, "account"),
    "billing:add_funds": Rule(ADMIN_ONLY, "account", get=405, post=200),
    "billing:adjust": Rule(ADMIN_ONLY, "account", get=405, post=200),
    "billing:account_statement": Rule(ADMIN_ONLY, "account"),
    "billing:account_margins": Rule(ADMIN_ONLY, "account"),
    "calls:account_calls": Rule(ADMIN_ONLY, "account"),
    # --- DID catalogue, providers, imports (admin) -----------------------------------------
    "dids:list": Rule(ADMIN_ONLY),
    "dids:create": Rule(ADMIN_ONLY, post=200),
    "dids:edit": Rule(ADMIN_ONLY, "did", post=200),
    "dids:delete": Rule(ADMIN_ONLY, "did", post=302, writes=True),  # deletes an unsold DID, else says why
    "admin_release": Rule(ADMIN_ONLY, "did", post=302, writes=True),
    "dids:bulk": Rule(ADMIN_ONLY, get=405, post=302),  # no action chosen: back to the list
    "dids:import": Rule(ADMIN_ONLY, post=200),
    "dids:range": Rule(ADMIN_ONLY, post=200),
    "dids:import_check": Rule(ADMIN_ONLY, "did_preview", get=405, post=200),  # empty POST: the preview, its errors
    "dids:import_confirm": Rule(ADMIN_ONLY, "did_preview", get=405, post=302, writes=True, skip=LIVE_PREVIEW),
    "dids:import_discard": Rule(ADMIN_ONLY, "did_preview", get=405, post=302, writes=True, skip=LIVE_PREVIEW),
    "dids:import_preview_errors": Rule(ADMIN_ONLY, "did_preview"),
    "dids:import_progress": Rule(ADMIN_ONLY, "did_preview", get=302),  # a preview not confirmed: back to Import
    "dids:imports": Rule(ADMIN_ONLY),
    "dids:import_detail": Rule(ADMIN_ONLY, "did_import"),
    "dids:import_errors": Rule(ADMIN_ONLY, "did_import"),
    "dids:import_undo": Rule(ADMIN_ONLY, "did_import", post=302, writes=True),
    "dids:provider_list": Rule(ADMIN_ONLY),
    "dids:provider_create": Rule(ADMIN_ONLY, post=200),
    "dids:provider_edit": Rule(ADMIN_ONLY, "provider", post=200),
    "dids:provider_toggle": Rule(ADMIN_ONLY, "provider", post=302),  # GET: the confirmation page; no state posted: a message
    # --- price book, destination, margins, audit ----------------------------------------------
    "billing:edit_info": Rule(ADMIN_ONLY, "did", post=200),
    "billing:holder_edit_info": Rule(ADMIN_ONLY, "did_holder", post=BY_KIND_200_404),
    "billing:holder_destination": Rule(ADMIN_ONLY, "did_holder", post=200),
    "billing:margins": Rule(ADMIN_ONLY),
    "billing:audit": Rule(ADMIN_ONLY),
    # --- calls (admin) ---------------------------------------------------------------------
    "calls:list": Rule(ADMIN_ONLY),
    "calls:import": Rule(ADMIN_ONLY, post=200),
    "calls:import_check": Rule(ADMIN_ONLY, "cdr_preview", get=405, post=200),  # empty POST: no column used, the preview says so
    "calls:import_confirm": Rule(ADMIN_ONLY, "cdr_preview", get=405, post=302, writes=True, skip=LIVE_PREVIEW),
    "calls:import_discard": Rule(ADMIN_ONLY, "cdr_preview", get=405, post=302, writes=True, skip=LIVE_PREVIEW),
    "calls:import_preview_errors": Rule(ADMIN_ONLY, "cdr_preview"),
    "calls:imports": Rule(ADMIN_ONLY),
    "calls:import_detail": Rule(ADMIN_ONLY, "call_import"),
    "calls:import_errors": Rule(ADMIN_ONLY, "call_import"),
    # --- switch tokens (admin) and the switch's endpoints -----------------------------------
    "routing:tokens": Rule(ADMIN_ONLY),
    "routing:token_create": Rule(ADMIN_ONLY, post=200),
    "routing:token_country": Rule(ADMIN_ONLY, "switch_token", post=302, writes=True),
    "routing:token_revoke": Rule(ADMIN_ONLY, "switch_token", post=302, writes=True),
    "routing:lookup": Rule(SWITCH, get=401, post=405),
    "routing:freeswitch": Rule(SWITCH, get=401, post=401),
    # --- the REST API (tests/api/ with tokens) and every login's API tokens page ---------------
    # Here a session only (401); every route x method x token x object: tests/security/test_api_matrix.py.
    "api:account": Rule(API, get=401, post=401),  # a session is not a token: 401 before the method check
    # Buying (tests/api/test_available_dids.py, test_purchases*.py: every role's token; another tenant's numbers
    # answer as numbers that do not exist).
    "api:available_dids": Rule(API, get=401, post=401),
    "api:purchases": Rule(API, get=401, post=401),
    # An account's numbers, statement and calls (tests/api/test_dids*.py, test_statement*.py, test_calls*.py
    # walk them with every role's token and another tenant's numbers).
    "api:dids": Rule(API, get=401, post=401),
    "api:did": Rule(API, "did", get=401, post=401),
    "api:did_release": Rule(API, "did", get=401, post=401),
    "api:did_destination": Rule(API, "did", get=401, post=401),
    "api:did_sell_cost": Rule(API, "did", get=401, post=401),
    "api:statement": Rule(API, get=401, post=401),
    "api:calls": Rule(API, get=401, post=401),
    "api:customers": Rule(API, get=401, post=401),
    "api:customer": Rule(API, "number", get=401, post=401),
    "api:customer_payments": Rule(API, "number", get=401, post=401),
    "api:admin_dids": Rule(API, get=401, post=401),
    "api:admin_did": Rule(API, "did", get=401, post=401),
    "api:admin_accounts": Rule(API, get=401, post=401),
    "api:admin_account": Rule(API, "number", get=401, post=401),
    "api:admin_account_funds": Rule(API, "number", get=401, post=401),
    "api:schema": Rule(DOCS, post=405),
    "api:docs": Rule(DOCS, post=405),
    "api:redoc": Rule(DOCS, post=405),
    "api:problem": Rule(DOCS, "problem_code", post=405),
    "api_tokens:list": Rule(LOGGED_IN),
    "api_tokens:create": Rule(LOGGED_IN, post=200),  # empty form: its errors
    "api_tokens:revoke": Rule(OWN_TOKEN, "api_token", post=302, writes=True),
    # --- every login's Webhooks page: its own endpoints and deliveries (others 404, as a token) ----
    "webhooks:list": Rule(LOGGED_IN),
    "webhooks:create": Rule(LOGGED_IN, post=200),  # empty form: its errors
    "webhooks:detail": Rule(OWN_TOKEN, "webhook"),
    "webhooks:toggle": Rule(OWN_TOKEN, "webhook", post=302, writes=True),  # GET: the confirmation page
    "webhooks:delete": Rule(OWN_TOKEN, "webhook", post=302, writes=True),  # GET: the confirmation page
    "webhooks:resend": Rule(OWN_TOKEN, "webhook_delivery", get=405, post=302, writes=True),
    # --- the reseller and customer panel --------------------------------------------------------
    "resellers:account": Rule(ACCOUNT),
    "resellers:dids": Rule(ACCOUNT),
    "resellers:buy": Rule(ACCOUNT),
    "resellers:purchase": Rule(ACCOUNT, "did", scope=POOL, post=404),  # no purchase key: "No such offer"
    "resellers:release": Rule(ACCOUNT, get=405, post=302),  # nothing checked: back to DIDs with a message
    "resellers:buy_many": Rule(ACCOUNT, get=405, post=302),  # nothing checked: back to Buy DIDs with a message
    "billing:statement": Rule(ACCOUNT),
    "billing:statement_of": Rule(ACCOUNT, "number", scope=OWN),
    "billing:my_edit_info": Rule(ACCOUNT, "did", scope=HOLDER, post=BY_KIND_200_404),
    "billing:destination": Rule(ACCOUNT, "did", scope=HOLDER, post=200),  # empty form: its errors
    "billing:my_margins": Rule(RESELLER),
    "calls:mine": Rule(ACCOUNT),
    # --- notices (/notices/): the account's own; the notice to open is posted, never in the URL ------
    "notices:list": Rule(ACCOUNT),
    "notices:open": Rule(ACCOUNT, get=405, post=404),  # no notice posted: none of its own
    "notices:read_all": Rule(ACCOUNT, get=405, post=302),
    "notices:settings": Rule(ACCOUNT, post=200),  # empty POST: every "how it reaches you" required
    # --- a reseller's own accounts (/portal/customers/<number>/...) ---------------------------------
    "customers:list": Rule(RESELLER),
    "customers:create": Rule(RESELLER, post=200),  # empty form: its errors
    "customers:detail": Rule(RESELLER, "child_number", scope=CHILD),
    "customers:edit": Rule(RESELLER, "child_number", scope=CHILD, post=200),
    "customers:status": Rule(RESELLER, "child_number", scope=CHILD, post=302),  # no status posted: a message
    "customers:payment": Rule(RESELLER, "child_number", scope=CHILD, post=200),
    "customers:adjust": Rule(RESELLER, "child_number", scope=CHILD, post=200),
    "customers:statement": Rule(RESELLER, "child_number", scope=CHILD),
    "customers:dids": Rule(RESELLER, "child_number", scope=CHILD),
    "customers:calls": Rule(RESELLER, "child_number", scope=CHILD),
    "customers:login_as": Rule(RESELLER, "child_number", scope=CHILD, get=405, post=302, writes=True),  # becomes it
}

# --- the walker ---------------------------------------------------------------------------

EXCLUDED = ("django-admin/",)  # Django's own admin: test_django_admin_* below


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern, e.g. "dids/<int:pk>/edit/"
    name: str | None  # namespaced, e.g. "dids:edit"
    converters: tuple[str, ...]  # URL kwargs in order of appearance

    def __str__(self) -> str:
        return f"/{self.route} ({self.name})"


def walk(patterns=None, prefix="", namespace="", converters=()):
    """Every URL pattern below ``patterns`` (the project's root by default), with its full route."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        names = converters + tuple(getattr(pattern.pattern, "converters", {}))
        if isinstance(pattern, URLResolver):
            if route in EXCLUDED or route.startswith(settings.STATIC_URL.lstrip("/")):
                continue
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from walk(pattern.url_patterns, route, inner, names)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(route, name, names)


ROUTES = sorted(walk(), key=lambda r: r.route)

# --- the objects a URL points at ------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    values: tuple  # the URL's kwargs, in the route's order
    did: str | None = None  # a key of CHAINS
    account: str | None = None  # a role
    exists: bool = True  # the admin reaches it (else 404)


def _did_cases(world):
    cases = [Case(f"DID {key}", (did.pk,), did=key) for key, did in world.dids.items()]
    return cases + [Case("missing DID", (MISSING_PK,), exists=False)]


def _account_cases(world):
    cases = [Case(f"account of {role}", (world.accounts[role].pk,), account=role) for role in ACCOUNT_ROLES]
    return cases + [Case("missing account", (MISSING_PK,), exists=False)]


def _number_cases(world):
    cases = [Case(f"number of {role}", (world.accounts[role].number,), account=role) for role in ACCOUNT_ROLES]
    return cases + [Case("unknown number", (MISSING_NUMBER,), exists=False)]


def _did_holder_cases(world):
    """Each holder of each DID; a DID with an account that does not hold it; missing ones."""
    cases = [Case(f"DID {key} of {role}", (world.dids[key].pk, world.accounts[role].pk), did=key, account=role)
             for key, chain in CHAINS.items() for role in chain]
    cases += [
        Case("DID B with resellerA", (world.dids["B"].pk, world.accounts[RES_A].pk), did="B", account=RES_A,
             exists=False),
        Case("DID pool with resellerA", (world.dids["pool"].pk, world.accounts[RES_A].pk), did="pool",
             account=RES_A, exists=False),
        Case("missing DID", (MISSING_PK, world.accounts[RES_A].pk), account=RES_A, exists=False),
        Case("missing account", (world.dids["A"].pk, MISSING_PK), did="A", exists=False),
    ]
    return cases


def _preview_cases(previews):
    return [Case("own preview", (previews["own"],)),
            Case("another admin's preview", (previews["other"],), exists=False),
            Case("unknown preview", (MISSING_TOKEN,), exists=False)]


CASES = {
    None: lambda world: [Case("-", ())],
    "did": _did_cases,
    "account": _account_cases,
    "number": _number_cases,
    # Every account number, and one two levels below resellerA (a customer of its sub-reseller).
    "child_number": lambda world: _number_cases(world) + [
        Case(f"number of {GRAND_A}", (world.accounts[GRAND_A].number,), account=GRAND_A)],
    "did_holder": _did_holder_cases,
    "provider": lambda world: [Case(f"provider {key}", (p.pk,)) for key, p in world.providers.items()]
    + [Case("missing provider", (MISSING_PK,), exists=False)],
    "did_import": lambda world: [Case("DID import", (world.did_import.pk,)),
                                 Case("missing DID import", (MISSING_PK,), exists=False)],
    "call_import": lambda world: [Case("CDR import", (world.call_import.pk,)),
                                  Case("missing CDR import", (MISSING_PK,), exists=False)],
    "switch_token": lambda world: [Case("switch token", (world.switch_token.pk,)),
                                   Case("missing switch token", (MISSING_PK,), exists=False)],
    "api_token": lambda world: [Case(f"API token of {role}", (token.pk,), account=role)
                                for role, token in world.api_tokens.items()]
    + [Case("missing API token", (MISSING_PK,), exists=False)],
    "webhook": lambda world: [Case(f"webhook of {role}", (endpoint.pk,), account=role)
                              for role, endpoint in world.webhooks.items()]
    + [Case("missing webhook", (MISSING_PK,), exists=False)],
    "webhook_delivery": lambda world: [Case(f"webhook delivery of {role}", (delivery.pk,), account=role)
                                       for role, delivery in world.webhook_deliveries.items()]
    + [Case("missing webhook delivery", (MISSING_PK,), exists=False)],
    "problem_code": lambda world: [Case("problem type", ("not-found",)),
                                   Case("unknown problem type", ("no-such-problem",), exists=False)],
    "did_preview": lambda world: _preview_cases(world.did_previews),
    "cdr_preview": lambda world: _preview_cases(world.cdr_previews),
    # A reset link's user and token: a real user with a token nobody issued, a user nobody has.
    "reset_link": lambda world: [Case("link with a wrong token", (urlsafe_base64_encode(force_bytes(world.users[RES_A].pk)),
                                                                  "cz0-0123456789abcdef")),
                                 Case("link of nobody", ("MA", "set-password"), exists=False)],
}
ARITY = {None: 0, "did_holder": 2, "reset_link": 2}  # converters each kind of object fills (1 otherwise)

# --- expected answers ---------------------------------------------------------------------


def _kind(role: str) -> str:
    return "reseller" if role in RESELLERS else "customer"


def _answer(rule: Rule, method: str, whose: str | None):
    answer = rule.get if method == "GET" else rule.post
    return answer[_kind(whose)] if isinstance(answer, dict) else answer


def _in_scope(world, rule: Rule, role: str, case: Case) -> bool:
    if rule.scope == HOLDER:
        return case.did is not None and role in CHAINS[case.did]
    if rule.scope == POOL:
        return case.did is not None and case.did in world.pool_of(role)
    if rule.scope == OWN:
        return case.account == role
    if rule.scope == CHILD:
        return case.account is not None and PARENT.get(case.account) == role
    return case.exists


def expected(world, rule: Rule, role: str, case: Case, method: str):
    """The answer (an int, LOGIN, or a tuple of acceptable ints) for this request."""
    if rule.access in (SWITCH, PROBE, LOGOUT, API):
        return _answer(rule, method, None)
    if rule.access == DOCS:
        answer = _answer(rule, method, None)
        return answer if case.exists or answer == 405 else 404
    if rule.access == PUBLIC:
        return _answer(rule, method, None) if role == ANONYMOUS else 302
    if rule.access == HOME:
        return LOGIN if role == ANONYMOUS else _answer(rule, method, None)
    if role == ANONYMOUS:
        return LOGIN  # before anything else, whatever the method or the object
    if rule.access == ABOVE and role != ADMIN:
        if role not in RESELLERS:
            return 403
        answer = _answer(rule, method, role)
        return answer if answer == 405 or PARENT.get(case.account) == role else 404
    if rule.access in (ADMIN_ONLY, ABOVE):
        if role != ADMIN:
            return 403  # before the object is looked up: no hint whether it exists
        answer = _answer(rule, method, case.account)
        if not case.exists:
            # A method the page does not take: 405, or 404 from views that load the object in dispatch().
            return (404, 405) if answer == 405 else 404
        return answer
    if rule.access == LOGGED_IN:
        return _answer(rule, method, None)
    if rule.access == OWN_TOKEN:
        return _answer(rule, method, None) if case.account == role else 404
    # ACCOUNT or RESELLER
    if role == ADMIN:
        return 403
    if rule.access == RESELLER and role not in RESELLERS:
        return 403
    answer = _answer(rule, method, role)
    if answer == 405:
        return 405  # the method check comes before the object lookup
    if rule.obj is not None and not _in_scope(world, rule, role, case):
        return 404
    return answer


def _got(response) -> str:
    if response.status_code == 302:
        location = urlsplit(response["Location"])
        if location.path == reverse("login"):
            return LOGIN
    return response.status_code


def _matches(want, response, url: str) -> bool:
    got = _got(response)
    if want == LOGIN:
        if got != LOGIN:
            return False
        nexts = parse_qs(urlsplit(response["Location"]).query).get("next")
        return nexts in (None, [url])
    if isinstance(want, tuple):
        return got in want
    return got == want


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def _leaks(world, role, url, case, response) -> list[str]:
    """Another tenant's data on a reseller's or customer's page."""
    body = _body(response)
    return [f"GET {url} as {role} [{case.label}]: shows {what} ({text!r})"
            for text, what in world.foreign_text(role).items() if text in body]


def _send(world, role: str, method: str, url: str):
    client = client_for(world, role)
    try:
        return client.get(url) if method == "GET" else client.post(url, {})
    except Exception as error:  # a 500: report it with the rest
        return error


# --- the tests ------------------------------------------------------------------------------


def test_every_page_is_classified():
    unnamed = [str(r) for r in ROUTES if not r.name]
    missing = [str(r) for r in ROUTES if r.name and r.name not in MATRIX]
    assert not unnamed, f"URL patterns without a name (give them one): {unnamed}"
    assert not missing, "new page: classify it in the matrix (MATRIX in tests/security/test_permission_matrix.py): " \
                        + ", ".join(missing)


def test_no_rule_for_a_page_that_is_gone():
    names = {r.name for r in ROUTES}
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"MATRIX has rules for pages that no longer exist, remove them: {stale}"


def test_each_rule_fills_its_page_kwargs():
    wrong = [f"{r}: converters {r.converters}, rule object {MATRIX[r.name].obj!r}" for r in ROUTES
             if r.name in MATRIX and len(r.converters) != ARITY.get(MATRIX[r.name].obj, 1)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name or r.route)
def test_matrix(world, route, role):
    rule = MATRIX.get(route.name)
    if rule is None:
        pytest.fail(f"new page: classify it in the matrix: {route}")
    failures = []
    for case in CASES[rule.obj](world):
        url = reverse(route.name, kwargs=dict(zip(route.converters, case.values)))
        for method in ("GET", "POST"):
            if role == ADMIN and (method, case.label) in rule.skip:
                continue
            want = expected(world, rule, role, case, method)
            with rolled_back():
                response = _send(world, role, method, url)
                if isinstance(response, Exception):
                    failures.append(f"{method} {url} as {role} [{case.label}]: raised {response!r}, expected {want}")
                    continue
                if not _matches(want, response, url):
                    location = f" -> {response['Location']}" if response.status_code in (301, 302) else ""
                    failures.append(f"{method} {url} as {role} [{case.label}]: got {response.status_code}{location}, "
                                    f"expected {want}")
                writer = role == ADMIN or (rule.access in (ABOVE, RESELLER) and role in RESELLERS) \
                    or rule.access == OWN_TOKEN
                allowed_action = method == "POST" and rule.writes and writer and want not in (404, 405)
                if not allowed_action:
                    changes = changes_since_pristine(world)
                    if changes:
                        failures.append(f"{method} {url} as {role} [{case.label}]: changed data: {changes}")
                if method == "GET" and role in ACCOUNT_ROLES and response.status_code == 200:
                    failures += _leaks(world, role, url, case, response)
                if response.status_code == 401 and rule.access == API:
                    if response["Content-Type"] != "application/problem+json" \
                            or response.json().get("code") != "not-authenticated":
                        failures.append(f"{method} {url} as {role}: an API 401 must be a not-authenticated problem")
                elif response.status_code == 401:
                    if not response["Content-Type"].startswith("application/json") or set(response.json()) != {"error"}:
                        failures.append(f"{method} {url} as {role}: a 401 must be {{'error': ...}} only")
    assert not failures, f"{len(failures)} wrong answer(s):\n" + "\n".join(failures)


# --- CSRF: every POST needs the form's token (the matrix's client does not check it) -------

CSRF_EXEMPT = {
    "routing:freeswitch": 401,  # mod_xml_curl POSTs without a form: the switch token guards it
    "healthz": 405,  # answered by core.health.HealthCheckMiddleware, before CSRF
    # The REST API takes no session (so no CSRF): a bearer token or 401; its schema and docs take no POST.
    "api:account": 401, "api:schema": 405, "api:docs": 405, "api:redoc": 405,
    "api:available_dids": 401, "api:purchases": 401,
    "api:dids": 401, "api:did": 401, "api:did_release": 401, "api:did_destination": 401, "api:did_sell_cost": 401,
    "api:statement": 401, "api:calls": 401,
    "api:customers": 401, "api:customer": 401, "api:customer_payments": 401,
    "api:admin_dids": 401, "api:admin_did": 401, "api:admin_accounts": 401, "api:admin_account": 401,
    "api:admin_account_funds": 401,
}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name or r.route)
def test_a_post_without_the_csrf_token_is_refused(world, route):
    rule = MATRIX.get(route.name)
    if rule is None:
        pytest.fail(f"new page: classify it in the matrix: {route}")
    role = {PUBLIC: ANONYMOUS, ACCOUNT: RES_A, RESELLER: RES_A}.get(rule.access, ADMIN)  # one who may post
    case = CASES[rule.obj](world)[0]
    url = reverse(route.name, kwargs=dict(zip(route.converters, case.values)))
    client = client_for(world, role, csrf_checks=True)
    with rolled_back():
        response = client.post(url, {})
        assert response.status_code == CSRF_EXEMPT.get(route.name, 403), f"POST {url} as {role} without CSRF token"
        changes = changes_since_pristine(world)
        assert not changes, f"POST {url} as {role} without CSRF token changed data: {changes}"


# --- the switch's endpoints with a token ----------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_a_switch_token_gets_an_answer_whatever_session_comes_with_it(world, role):
    number = world.dids["A>custA"].number
    client = client_for(world, role)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {world.plain_token}"}
    with rolled_back():
        answer = client.get(reverse("routing:lookup"), {"number": number}, **bearer)
        assert answer.status_code == 200
        assert (answer.json()["allow"], answer.json()["destination"]) == (True, DESTINATIONS["A>custA"])
        basic = "Basic " + base64.b64encode(f"fs1:{world.plain_token}".encode()).decode()
        dialplan = client.post(reverse("routing:freeswitch"), {"Caller-Destination-Number": number},
                               HTTP_AUTHORIZATION=basic)
        assert dialplan.status_code == 200 and dialplan["Content-Type"].startswith("text/xml")
        wrong = client.get(reverse("routing:lookup"), {"number": number}, HTTP_AUTHORIZATION="Bearer not-a-token")
        assert wrong.status_code == 401 and wrong.json().keys() == {"error"}
        assert not changes_since_pristine(world)


def test_a_revoked_switch_token_gets_401(world):
    from routing.tokens import revoke

    revoke(world.switch_token)
    response = client_for(world, ANONYMOUS).get(reverse("routing:lookup"), {"number": world.dids["A>custA"].number},
                                                HTTP_AUTHORIZATION=f"Bearer {world.plain_token}")
    assert response.status_code == 401 and response.json().keys() == {"error"}


# --- Django's own admin (/django-admin/): staff only ----------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_django_admin_is_for_staff_only(world, role):
    account = world.accounts[RES_A]
    urls = [reverse("admin:index"), reverse("admin:accounts_account_changelist"),
            reverse("admin:accounts_account_change", args=[account.pk]), reverse("admin:accounts_user_add"),
            reverse("admin:dids_did_change", args=[world.dids["A"].pk])]
    hostile = {"name": "hijacked", "credit_limit_0": "999999", "status": "active", "kind": "reseller",
               "username": "hijacker", "password1": "Hijack-pass-2026", "password2": "Hijack-pass-2026",
               "is_staff": "on", "is_superuser": "on", "holder": account.pk}
    failures = []
    for url in urls:
        for method in ("GET", "POST"):
            if role == ADMIN and method == "POST":
                continue  # the staff's own changes: Django's admin, not ours
            client = client_for(world, role)
            with rolled_back():
                response = client.get(url) if method == "GET" else client.post(url, hostile)
                if role == ADMIN:
                    ok = response.status_code == 200
                else:  # Django's admin sends anybody without staff status to its own login page
                    location = urlsplit(response.get("Location", ""))
                    ok = response.status_code == 302 and location.path == reverse("admin:login") \
                        and parse_qs(location.query).get("next") == [url]
                if not ok:
                    got = f"{response.status_code} {response.get('Location', '')}"
                    failures.append(f"{method} {url} as {role}: got {got}")
                changes = changes_since_pristine(world)
                if changes:
                    failures.append(f"{method} {url} as {role}: changed data: {changes}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ACCOUNT_ROLES)
def test_an_account_login_does_not_open_django_admin(world, role):
    from django.test import Client

    from tests.factories import PASSWORD

    client = Client()
    response = client.post(reverse("admin:login"), {"username": world.users[role].username, "password": PASSWORD,
                                                    "next": reverse("admin:index")})
    assert response.status_code == 200 and response.context["form"].errors  # "staff account" error
    assert client.get(reverse("admin:index")).status_code == 302


# --- another tenant's data never shows, whatever the query string ----------------------------

@pytest.mark.parametrize("role", ACCOUNT_ROLES)
def test_searches_and_exports_show_only_the_accounts_own_data(world, role):
    foreign = world.foreign_text(role)
    someone_elses = [world.dids[key].digits for key, chain in CHAINS.items() if chain and role not in chain]
    urls = [reverse("billing:statement") + "?format=csv",
            reverse("billing:statement_of", args=[world.accounts[role].number]) + "?format=csv",
            reverse("calls:mine") + "?format=csv",
            reverse("resellers:dids") + "?format=csv", reverse("resellers:buy") + "?format=csv&sort=-price"]
    for digits in someone_elses:
        urls += [f"{reverse('resellers:dids')}?number={digits}", f"{reverse('calls:mine')}?did={digits}"]
    if role in RESELLERS:
        urls += [reverse("billing:my_margins") + "?sort=-price", reverse("billing:my_margins") + "?format=csv"]
        for child in (name for name, parent in PARENT.items() if parent == role):  # its accounts' lists as CSV
            number = world.accounts[child].number
            urls += [reverse(f"customers:{page}", args=[number]) + "?format=csv" for page in ("dids", "calls")]
    failures = []
    for url in urls:
        query = parse_qs(urlsplit(url).query)
        searched = (query.get("number") or query.get("did") or [None])[0]
        with rolled_back():
            response = client_for(world, role).get(url)
            if response.status_code != 200:
                failures.append(f"GET {url} as {role}: {response.status_code}")
                continue
            body = _body(response)
            if searched:  # the search box shows what was typed: the rows must be empty
                body = body.replace(searched, "")
                if list(response.context["page"].rows):
                    failures.append(f"GET {url} as {role}: finds rows for another tenant's DID")
            failures += [f"GET {url} as {role}: shows {what} ({text!r})"
                         for text, what in foreign.items() if text in body]
            assert not changes_since_pristine(world)
    assert not failures, "\n".join(failures)


# --- "log in as": the admin becomes the account, and only that session can return ---------

def test_log_in_as_gives_the_accounts_rights_only_and_returns_to_the_admin(world):
    from django.test import Client

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[ADMIN]
    account = world.accounts[CUST_A]
    assert client.post(reverse("audit:login_as", args=[account.pk])).status_code == 302
    assert client.get(reverse("resellers:account")).context["account"] == account
    for url in (reverse("dids:list"), reverse("manage:list"), reverse("billing:account", args=[account.pk]),
                reverse("audit:login_as", args=[world.accounts[RES_B].pk]), reverse("billing:my_margins")):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("audit:login_as", args=[world.accounts[RES_B].pk])).status_code == 403
    foreign = reverse("billing:my_edit_info", args=[world.dids["B>custB"].pk])
    assert client.get(foreign).status_code == 404
    # Another session of the same account cannot "return" to the admin.
    assert client_for(world, CUST_A).post(reverse("audit:return")).status_code == 403
    back = client.post(reverse("audit:return"))
    assert back.status_code == 302 and back["Location"] == reverse("billing:account", args=[account.pk])
    assert client.get(reverse("dids:list")).status_code == 200


@pytest.mark.parametrize("role", [CUST_B, SUB_A])
def test_log_in_as_refuses_a_suspended_account(world, role):
    from accounts.services import account_set_status

    account_set_status(account_id=world.accounts[role].pk, status="suspended")
    with rolled_back():
        before = changes_since_pristine(world)
        response = client_for(world, ADMIN).post(reverse("audit:login_as", args=[world.accounts[role].pk]))
        assert response.status_code == 302 and response["Location"] == reverse("billing:account",
                                                                               args=[world.accounts[role].pk])
        assert str(changes_since_pristine(world)) == str(before)  # no audit row, no new session for it
        assert client_for(world, ADMIN).get(reverse("dids:list")).status_code == 200


# --- the login pages never send anybody off-site ----------------------------------------------

@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com/"])
def test_a_login_never_redirects_to_another_site(world, target):
    from django.test import Client

    from tests.factories import PASSWORD

    with rolled_back():
        response = Client().post(reverse("login") + f"?next={target}",
                                 {"username": world.users[RES_A].username, "password": PASSWORD, "next": target})
        assert response.status_code == 302
        assert urlsplit(response["Location"]).netloc == "", response["Location"]
        assert response["Location"] == reverse("home")
