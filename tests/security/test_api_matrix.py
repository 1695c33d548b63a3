"""The REST API's permission matrix (issue 18): every route under /api/ from the URL resolver, with
every method (GET, POST, PUT, PATCH, DELETE), as every login's bearer token and without a valid
one, against objects held at every level of the world (tests/security/objects.py), gets the
answer ROUTES says, as a problem of the right code, and changes nothing.

- A route missing from ROUTES fails test_every_api_route_is_classified; a method a view takes
  that its row does not name fails test_each_rule_names_the_methods_its_view_takes.
- Tokens: the admin's (the operator's), resellerA's, subresellerA's (under A), customerA's (under
  A); none, and resellerA's revoked one (401). Objects in the path: each DID of the world (the
  operator's pool, an Inactive one, and those held along A, A>custA, A>subA, B, B>custB), each
  account number (with grandchildA, two levels below A), and missing ones. Another tenant's, its
  seller's (a higher level) and a missing object answer 404 alike.
- The bodies are empty, or invalid where an empty one would act (release, destination, Edit
  Product): the point is who gets an answer. After each request nothing changed but the token's
  last use (snapshot of tests/security/objects.py; every request is rolled back).
- Every 200 an account's token gets is searched for another tenant's account numbers, names, DID
  numbers, call ids and destinations (World.foreign_text), as are the lists filtered by them.
- Mass assignment: every writable route with a valid body, once as it is (accepted: the check can
  fail) and once with each field a client may not set there (balance, status, parent, number,
  kind, account, price, holder, credit_limit, id): 422 naming the field, nothing written.

Each endpoint's own tests (tests/api/) test what an allowed request does; this file is who gets
an answer at all, in one table.
"""

from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse

from api.serializers import NOT_SETTABLE
from tests.security.objects import (  # noqa: F401, F811  (world is a fixture)
    ADMIN, CHAINS, CUST_A, CUST_B, MISSING_NUMBER, PARENT, RES_A, RES_B, RESELLERS, SUB_A,
    changes_since_pristine, rolled_back, world,
)
from tests.security.test_permission_matrix import ROUTES as ALL_ROUTES

pytestmark = pytest.mark.django_db

NO_TOKEN = "no token"
REVOKED = "revoked token"
TOKENS = (ADMIN, RES_A, SUB_A, CUST_A, NO_TOKEN, REVOKED)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# --- the rules --------------------------------------------------------------------------------

# Who gets in.
ANY = "any token"  # every live token
ACCOUNT = "account"  # a reseller's or a customer's token; the admin's: 403 (the operator holds, buys nothing)
SELLER = "seller"  # a reseller's token; a customer's and the admin's: 403 (in the handler: after the method)
RESELLER = "reseller"  # a reseller's token (ResellerOnly: 403 before the method and the object)
ADMIN_ONLY = "admin"  # the admin's token (AdminOnly: 403 before the method and the object)
DOCS = "docs"  # the schema, its docs and the problem types: public, a token is not even read

# Which objects of the path a token reaches (others: 404, exactly as a missing one).
HOLDER = "holder"  # DIDs it holds (an active subscription, sold on or not)
CHILD = "child"  # the accounts directly below it
ANY_OBJECT = "any"  # every object that exists (the admin)

INVALID = {"not_a_field": "x"}  # a body every endpoint refuses (422) once it got that far


@dataclass(frozen=True)
class Rule:
    who: str
    obj: str | None = None  # what the path's converter points at: "did", "account", "problem"
    ok: dict = field(default_factory=dict)  # method -> the answer of one allowed, about an object it reaches
    body: dict = field(default_factory=dict)  # method -> body, where an empty one would act; else {}

    @property
    def scope(self) -> str | None:
        if self.obj is None:
            return None
        return {ACCOUNT: HOLDER, SELLER: HOLDER, RESELLER: CHILD}.get(self.who, ANY_OBJECT)


ROUTES_RULES: dict[str, Rule] = {
    "api:account": Rule(ANY, ok={"GET": 200}),
    # Buying: a purchase with no Idempotency-Key and no body is 422 before anything is read.
    "api:available_dids": Rule(ACCOUNT, ok={"GET": 200}),
    "api:purchases": Rule(ACCOUNT, ok={"POST": 422}),
    # An account's numbers: an empty release would release, an empty destination would clear it.
    "api:dids": Rule(ACCOUNT, ok={"GET": 200}),
    "api:did": Rule(ACCOUNT, "did", ok={"GET": 200}),
    "api:did_release": Rule(ACCOUNT, "did", ok={"POST": 422}, body={"POST": INVALID}),
    "api:did_destination": Rule(ACCOUNT, "did", ok={"PUT": 422}, body={"PUT": INVALID}),
    "api:did_sell_cost": Rule(SELLER, "did", ok={"PUT": 422}),  # empty: setup_fee and price required
    "api:statement": Rule(ACCOUNT, ok={"GET": 200}),
    "api:calls": Rule(ACCOUNT, ok={"GET": 200}),
    # A reseller's accounts: an empty PATCH changes nothing (200, and the matrix checks nothing changed).
    "api:customers": Rule(RESELLER, ok={"GET": 200, "POST": 422}),
    "api:customer": Rule(RESELLER, "account", ok={"GET": 200, "PATCH": 200}),
    "api:customer_payments": Rule(RESELLER, "account", ok={"POST": 422}),  # no Idempotency-Key
    # The admin's: an empty Edit Product would save the product again.
    "api:admin_dids": Rule(ADMIN_ONLY, ok={"GET": 200, "POST": 422}),
    "api:admin_did": Rule(ADMIN_ONLY, "did", ok={"GET": 200, "PATCH": 422}, body={"PATCH": INVALID}),
    "api:admin_accounts": Rule(ADMIN_ONLY, ok={"GET": 200, "POST": 422}),
    "api:admin_account": Rule(ADMIN_ONLY, "account", ok={"GET": 200, "PATCH": 200}),
    "api:admin_account_funds": Rule(ADMIN_ONLY, "account", ok={"POST": 422}),  # no Idempotency-Key
    "api:schema": Rule(DOCS, ok={"GET": 200}),
    "api:docs": Rule(DOCS, ok={"GET": 200}),
    "api:redoc": Rule(DOCS, ok={"GET": 200}),
    "api:problem": Rule(DOCS, "problem", ok={"GET": 200}),
}

API_ROUTES = [r for r in ALL_ROUTES if r.route.startswith("api/")]

# --- the objects a path points at -------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    value: str  # the path's converter, as a client sends it
    did: str | None = None  # a key of CHAINS (or "pool", "inactive")
    account: str | None = None  # a role of the world
    exists: bool = True


def _did_cases(world):
    cases = [Case(f"DID {key}", quote(did.number, safe=""), did=key) for key, did in world.dids.items()]
    return cases + [Case("missing DID", quote("+19995550100", safe=""), exists=False),
                    Case("not a number", MISSING_NUMBER, exists=False)]


def _account_cases(world):
    cases = [Case(f"account of {role}", account.number, account=role) for role, account in world.accounts.items()]
    return cases + [Case("missing account", MISSING_NUMBER, exists=False)]


CASES = {
    None: lambda world: [Case("-", "")],
    "did": _did_cases,
    "account": _account_cases,
    "problem": lambda world: [Case("problem type", "not-found"),
                              Case("unknown problem type", "no-such-problem", exists=False)],
}


def level(token: str, case: Case) -> str:
    """Where the case's object sits for an account's token: its own, its seller's, below it, another
    tenant's, the operator's, missing."""
    if not case.exists:
        return "missing"
    if case.did is not None:
        chain = CHAINS.get(case.did, ())
        if not chain:
            return "the operator's"
        if token in chain:
            return "its own"
        return "its seller's" if PARENT.get(token) in chain else "another tenant's"
    if case.account is not None:
        if case.account == token:
            return "itself"
        if case.account == PARENT.get(token):
            return "its seller"
        if PARENT.get(case.account) == token:
            return "below it"
        if PARENT.get(PARENT.get(case.account)) == token:
            return "two levels below it"
        return "another tenant's"
    return "-"


def url_of(route, case: Case) -> str:
    if not route.converters:
        return reverse(route.name)
    return reverse(route.name, args=["OBJECT"]).replace("OBJECT", case.value)


def view_methods(route) -> set[str]:
    """The methods the route's view has a handler for."""
    view = resolve(url_of(route, Case("-", "x"))).func
    cls = getattr(view, "cls", None) or view.view_class
    return {m for m in METHODS if hasattr(cls, m.lower())}


# --- expected answers ---------------------------------------------------------------------------


def _in_scope(rule: Rule, token: str, case: Case) -> bool:
    if rule.scope == HOLDER:
        return case.did in CHAINS and token in CHAINS[case.did]
    if rule.scope == CHILD:
        return case.account is not None and PARENT.get(case.account) == token
    return case.exists


def expected(rule: Rule, token: str, case: Case, method: str) -> int:
    if rule.who == DOCS:
        if method not in rule.ok:
            return 405
        return rule.ok[method] if case.exists else 404
    if token in (NO_TOKEN, REVOKED):
        return 401  # before anything else, whatever the method or the object
    # The permission classes answer before the method is looked at.
    if rule.who == RESELLER and token not in RESELLERS:
        return 403
    if rule.who == ADMIN_ONLY and token != ADMIN:
        return 403
    if method not in rule.ok:
        return 405
    # The handlers: the role first (before the object: no hint whether it exists), then the object.
    if rule.who in (ACCOUNT, SELLER) and token == ADMIN:
        return 403
    if rule.who == SELLER and token not in RESELLERS:
        return 403
    if rule.obj is not None and not _in_scope(rule, token, case):
        return 404
    return rule.ok[method]


PROBLEM_CODES = {401: "not-authenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
                 422: "validation"}

# --- sending -----------------------------------------------------------------------------------

_CLIENT = Client()


def secret_of(world, token: str) -> str | None:
    if token == NO_TOKEN:
        return None
    return world.revoked_api_secret if token == REVOKED else world.api_secrets[token]


def send(world, token: str, method: str, url: str, body=None, **headers):
    secret = secret_of(world, token)
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    _CLIENT.cookies.clear()  # a session is never a login here: only the token speaks
    if method in ("GET", "DELETE"):
        return getattr(_CLIENT, method.lower())(url, **headers)
    return getattr(_CLIENT, method.lower())(url, body if body is not None else {}, content_type="application/json",
                                            **headers)


LAST_USE = {"last_used_at", "last_used_ip"}


def changes(world):
    """What changed since the world was built, but the last use of a token (written by any request)."""
    diff = changes_since_pristine(world)
    tokens = {pk: fields - LAST_USE for pk, fields in diff.changed.get("ApiToken", {}).items()}
    tokens = {pk: fields for pk, fields in tokens.items() if fields}
    if tokens:
        diff.changed["ApiToken"] = tokens
    else:
        diff.changed.pop("ApiToken", None)
    return diff


def _problem_failure(response, want: int, rule: Rule, token: str) -> str | None:
    """A refusal of the API (not of the public docs) is a problem with the right code."""
    if rule.who == DOCS or want < 400:
        return None
    if response["Content-Type"] != "application/problem+json":
        return f"Content-Type {response['Content-Type']}, not application/problem+json"
    code = response.json().get("code")
    if code != PROBLEM_CODES[want]:
        return f"problem code {code!r}, expected {PROBLEM_CODES[want]!r}"
    if want == 401 and not response.get("WWW-Authenticate", "").startswith('Bearer realm="api"'):
        return "401 without WWW-Authenticate: Bearer"
    if want == 401 and ("invalid_token" in response["WWW-Authenticate"]) != (token == REVOKED):
        return f"WWW-Authenticate {response['WWW-Authenticate']!r}: invalid_token is for a token sent and refused"
    return None


def body_text(response) -> str:
    return response.content.decode("utf-8", "replace")


def leaks(world, token: str, response) -> list[str]:
    text = body_text(response)
    return [f"shows {what} ({needle!r})" for needle, what in world.foreign_text(token).items() if needle in text]


# --- the walk ------------------------------------------------------------------------------------


def test_every_api_route_is_classified():
    assert API_ROUTES, "the walk found no /api/ route"
    missing = [str(r) for r in API_ROUTES if r.name not in ROUTES_RULES]
    assert not missing, "new API route: classify it in ROUTES_RULES (tests/security/test_api_matrix.py): " \
                        + ", ".join(missing)


def test_no_rule_for_a_route_that_is_gone():
    stale = sorted(set(ROUTES_RULES) - {r.name for r in API_ROUTES})
    assert not stale, f"ROUTES_RULES has rules for API routes that no longer exist, remove them: {stale}"


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name or r.route)
def test_each_rule_names_the_methods_its_view_takes(route):
    rule = ROUTES_RULES.get(route.name)
    if rule is None:
        pytest.fail(f"new API route: classify it in ROUTES_RULES: {route}")
    assert len(route.converters) == (rule.obj is not None)
    assert view_methods(route) == set(rule.ok), f"{route}: the view takes {sorted(view_methods(route))}, " \
                                                f"the rule names {sorted(rule.ok)}"


@pytest.mark.parametrize("token", (RES_A, SUB_A, CUST_A))
@pytest.mark.parametrize("obj", ("did", "account"))
def test_the_objects_sit_at_every_level(world, token, obj):
    """Each account's token meets, in each kind of path object, one of its own, its seller's (for
    an account below another), another tenant's and a missing one: the matrix's 404s cover them."""
    levels = {level(token, case) for case in CASES[obj](world)}
    wanted = {"missing", "another tenant's"} | ({"its seller's" if obj == "did" else "its seller"}
                                                 if PARENT[token] else set())
    wanted |= {"its own"} if obj == "did" else {"itself"} | ({"below it"} if token in RESELLERS else set())
    assert wanted <= levels, f"{token}: no {obj} at {sorted(wanted - levels)}"


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name or r.route)
def test_api_matrix(world, route, token):
    rule = ROUTES_RULES.get(route.name)
    if rule is None:
        pytest.fail(f"new API route: classify it in ROUTES_RULES: {route}")
    failures = []
    cases = CASES[rule.obj](world)
    for method in METHODS:
        # A method the route does not take is answered before any object is read: one object is enough.
        for case in (cases if method in rule.ok else cases[:1]):
            url = url_of(route, case)
            want = expected(rule, token, case, method)
            where = f"{method} {url} as {token} [{case.label}: {level(token, case)}]"
            with rolled_back():
                try:
                    response = send(world, token, method, url, rule.body.get(method))
                except Exception as error:  # a 500: report it with the rest
                    failures.append(f"{where}: raised {error!r}, expected {want}")
                    continue
                if response.status_code != want:
                    detail = response.content[:200] if response.status_code >= 400 else b""
                    failures.append(f"{where}: got {response.status_code}, expected {want} {detail!r}")
                    continue
                problem = _problem_failure(response, want, rule, token)
                if problem:
                    failures.append(f"{where}: {problem}")
                changed = changes(world)
                if changed:
                    failures.append(f"{where}: changed data: {changed}")
                if response.status_code == 200 and token in (RES_A, SUB_A, CUST_A):
                    failures += [f"{where}: {leak}" for leak in leaks(world, token, response)]
                if response.status_code == 200 and rule.obj == "did" and rule.who != DOCS:
                    if response.json().get("number") != world.dids[case.did].number:
                        failures.append(f"{where}: answered about another number: {response.json()}")
                if response.status_code == 200 and rule.obj == "account":
                    if response.json().get("number") != world.accounts[case.account].number:
                        failures.append(f"{where}: answered about another account: {response.json()}")
    assert not failures, f"{len(failures)} wrong answer(s):\n" + "\n".join(failures)


def test_a_session_or_a_broken_header_is_no_token(world):
    """A logged-in browser, another scheme, an empty or unknown token: 401 on every route that
    takes a token (the pages' matrix sends the sessions; here the headers)."""
    headers = {"session": {}, "basic": {"HTTP_AUTHORIZATION": "Basic cmVzZWxsZXJBOng="},
               "empty bearer": {"HTTP_AUTHORIZATION": "Bearer "},
               "unknown token": {"HTTP_AUTHORIZATION": "Bearer didp_" + "x" * 43},
               "token of another scheme": {"HTTP_AUTHORIZATION": f"Token {world.api_secrets[RES_A]}"}}
    failures = []
    for route in API_ROUTES:
        rule = ROUTES_RULES[route.name]
        if rule.who == DOCS:
            continue
        url = url_of(route, CASES[rule.obj](world)[0])
        for label, header in headers.items():
            with rolled_back():
                client = Client()
                client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[RES_A]
                response = client.get(url, **header)
                if response.status_code != 401 or response.json().get("code") != "not-authenticated":
                    failures.append(f"GET {url} with {label}: {response.status_code}")
                assert not changes(world)
    assert not failures, "\n".join(failures)


# --- another tenant's data never shows, whatever the query -------------------------------------

LIST_ROUTES = ("api:account", "api:available_dids", "api:dids", "api:statement", "api:calls", "api:customers",
               "api:admin_dids", "api:admin_accounts")


@pytest.mark.parametrize("token", (RES_A, SUB_A, CUST_A, RES_B, CUST_B))
def test_lists_and_searches_show_only_the_accounts_own_data(world, token):
    """Each list, and each list searched for another tenant's number, name or account, as each
    account's token: never another tenant's account numbers, names, DIDs, calls or destinations;
    a search for one of them finds no row. The admin's lists are 403."""
    foreign = world.foreign_text(token)
    not_held = [world.dids[key] for key, chain in CHAINS.items() if chain and token not in chain]
    not_for_sale = [did for did in not_held if did not in {world.dids[key] for key in world.pool_of(token)}]
    others = [a for role, a in world.accounts.items() if role != token and PARENT.get(role) != token]
    searches = [(reverse(name), name) for name in LIST_ROUTES]
    for did in not_held:
        searches += [(f"{reverse('api:dids')}?number={did.digits}", "search"),
                     (f"{reverse('api:calls')}?did={did.digits}", "search")]
    searches += [(f"{reverse('api:available_dids')}?contains={did.digits}", "search") for did in not_for_sale]
    if token in RESELLERS:
        for account in others:
            searches += [(f"{reverse('api:customers')}?q={account.number}", "search"),
                         (f"{reverse('api:customers')}?q={quote(account.name)}", "search")]
    failures = []
    for url, what in searches:
        with rolled_back():
            response = send(world, token, "GET", url)
            admin_list = what.startswith("api:admin_") or (what == "api:customers" and token not in RESELLERS)
            want = 403 if admin_list else 200
            if response.status_code != want:
                failures.append(f"GET {url} as {token}: {response.status_code}, expected {want}")
                continue
            if what == "search" and response.json()["results"]:
                failures.append(f"GET {url} as {token}: finds {response.json()['results']}")
            text = body_text(response)
            for needle in (n for n in foreign if n in text):
                if what == "search" and needle in url:
                    continue  # the answer's links repeat the query: the rows are checked empty above
                failures.append(f"GET {url} as {token}: shows {foreign[needle]} ({needle!r})")
            assert not changes(world)
    assert not failures, "\n".join(failures)


# --- mass assignment: every writable route, every field a client may not set ---------------------

FORBIDDEN = ("balance", "status", "parent", "number", "kind", "account", "price", "holder", "credit_limit", "id")


def _hostile(world, name: str):
    """A value a thief would send for the field: another tenant's, or money out of nowhere."""
    return {"balance": "999999.0000", "status": "active", "parent": world.accounts[RES_B].number,
            "number": world.dids["B"].number, "kind": "reseller", "account": world.accounts[RES_B].number,
            "price": "0.0001", "holder": world.accounts[RES_B].number, "credit_limit": "999999.0000",
            "id": 1}[name]


def _purchase_body(world):
    offer = send(world, RES_A, "GET", reverse("api:available_dids")).json()["results"][0]
    return {"numbers": [offer["number"]], "expected_total": offer["total"]}


@dataclass(frozen=True)
class Write:
    token: str
    method: str
    obj: str | None  # a DID key or an account role: the path's object, one the token reaches
    body: object  # a valid body: a dict, or a function of the world
    writable: frozenset = frozenset()  # the fields of FORBIDDEN this route does set
    key: bool = False  # needs an Idempotency-Key
    accepted: int = 200


KEY = {"HTTP_IDEMPOTENCY_KEY": "sec-mass-assignment-1"}
NEW_LOGIN = {"name": "Mass Assigned", "username": "sec-mass", "password": "Unusual-horse-2026!",
             "email": "mass@example.com"}

WRITES: dict[str, Write] = {
    "api:purchases": Write(RES_A, "POST", None, _purchase_body, key=True, accepted=201),
    "api:did_release": Write(SUB_A, "POST", "A>subA", {}),
    "api:did_destination": Write(CUST_A, "PUT", "A>custA", {"call_type": "sip_uri",
                                                            "destination": "sip:mass@pbx.example.net"}),
    "api:did_sell_cost": Write(RES_A, "PUT", "A", {"setup_fee": "9.0000", "price": "9.0000"},
                               writable=frozenset({"price"})),
    "api:customers": Write(RES_A, "POST", None, NEW_LOGIN, writable=frozenset({"kind", "credit_limit"}),
                           accepted=201),
    "api:customer": Write(RES_A, "PATCH", CUST_A, {"name": "Renamed by mass"},
                          writable=frozenset({"status", "credit_limit"})),
    "api:customer_payments": Write(RES_A, "POST", CUST_A, {"amount": "1.0000", "reference": "mass"}, key=True,
                                   accepted=201),
    "api:admin_dids": Write(ADMIN, "POST", None, {"number": "+12125550199", "monthly_fee": "2.0000",
                                                  "billing_days": 30},
                            writable=frozenset({"number", "status"}), accepted=201),
    "api:admin_did": Write(ADMIN, "PATCH", "pool", {"city": "Massville"}, writable=frozenset({"status"})),
    "api:admin_accounts": Write(ADMIN, "POST", None, NEW_LOGIN,
                                writable=frozenset({"kind", "credit_limit", "status", "parent"}), accepted=201),
    "api:admin_account": Write(ADMIN, "PATCH", CUST_B, {"name": "Renamed by mass"},
                               writable=frozenset({"status", "credit_limit"})),
    "api:admin_account_funds": Write(ADMIN, "POST", CUST_B, {"amount": "1.0000"}, writable=frozenset({"kind"}),
                                     key=True, accepted=201),
}


def test_every_writable_route_is_in_the_mass_assignment_table():
    writable = {r.name for r in API_ROUTES if set(ROUTES_RULES[r.name].ok) - {"GET"}
                and ROUTES_RULES[r.name].who != DOCS}
    assert writable == set(WRITES), f"routes that take a body, not in WRITES: {sorted(writable - set(WRITES))}; " \
                                    f"in WRITES but not writable: {sorted(set(WRITES) - writable)}"
    for name, write in WRITES.items():
        assert write.method in ROUTES_RULES[name].ok, name


def _write_url(world, name: str, write: Write) -> str:
    route = next(r for r in API_ROUTES if r.name == name)
    if write.obj is None:
        return url_of(route, Case("-", ""))
    if write.obj in world.dids:
        return url_of(route, Case("-", quote(world.dids[write.obj].number, safe="")))
    return url_of(route, Case("-", world.accounts[write.obj].number))


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_field_a_client_may_not_set_is_422_and_nothing_is_written(world, name):
    write = WRITES[name]
    url = _write_url(world, name, write)
    headers = KEY if write.key else {}
    with rolled_back():
        body = write.body(world) if callable(write.body) else dict(write.body)
    # The valid body is accepted (so a 422 below is the field's doing, and the check can fail).
    with rolled_back():
        response = send(world, write.token, write.method, url, body, **headers)
        assert response.status_code == write.accepted, (url, response.status_code, response.content[:300])
        assert changes(world), f"{write.method} {url}: accepted but wrote nothing"
    failures = []
    for forbidden in (f for f in FORBIDDEN if f not in write.writable):
        with rolled_back():
            response = send(world, write.token, write.method, url, {**body, forbidden: _hostile(world, forbidden)},
                            **headers)
            where = f"{write.method} {url} as {write.token} with {forbidden!r}"
            if response.status_code != 422:
                failures.append(f"{where}: got {response.status_code}, expected 422")
            elif response.json().get("errors", {}).get(forbidden) != [NOT_SETTABLE]:
                failures.append(f"{where}: errors {response.json().get('errors')}, expected {forbidden!r} named")
            changed = changes(world)
            if changed:
                failures.append(f"{where}: changed data: {changed}")
    assert not failures, "\n".join(failures)
