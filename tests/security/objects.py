"""The world the security tests walk through: one login per role and objects owned by each.

Built once per test module through the real services and pages (purchases with
billing.subscriptions.purchase.purchase_did, imports through the admin's upload and Confirm), inside
an outer transaction that is rolled back when the module ends. Each test runs in a
savepoint (pytest-django's ``db``), and ``rolled_back()`` puts every single request in
one more savepoint, so no request sees what an earlier one changed.

Roles:      anonymous, admin, resellerA, resellerB, subresellerA (a reseller under A),
            customerA (under A), customerB (under B).
Also an account without a session of its own: grandchildA, a customer under subresellerA
            (one level too deep for resellerA's Customers pages).
DIDs:       see CHAINS: who holds each one, top of the chain first.
Also:       two providers, a DID import (with a rejected row), a CDR import (charged calls
            and a rejected row), a switch token, an API token of each login (their secrets in
            api_secrets) and a revoked one of resellerA's, ledger entries for every account, a destination,
            and unconfirmed DID and CDR previews in the admin's session and in another admin's.
"""

import csv
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from http.cookies import SimpleCookie

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, User
from routing.destinations import set_destination
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, Notification, PriceOverride, Subscription
from dids.models import DIDHistory
from billing.subscriptions.purchase import purchase_did
from calls.models import Call, CallCharge, CallImport
from dids.models import DID, DIDImport, Provider
from routing.models import SwitchToken
from routing.tokens import create_token
from api.models import ApiToken, IdempotencyKey
from api.tokens import create_token as create_api_token, revoke_token as revoke_api_token
from webhooks.endpoints import create_endpoint
from webhooks.models import Delivery, Endpoint, Event
from tests.factories import DIDFactory, make_account_user
from tests.scaffold import harness_atomic

ANONYMOUS = "anonymous"
ADMIN = "admin"
RES_A = "resellerA"
RES_B = "resellerB"
SUB_A = "subresellerA"
CUST_A = "customerA"
CUST_B = "customerB"
ROLES = (ANONYMOUS, ADMIN, RES_A, RES_B, SUB_A, CUST_A, CUST_B)
ACCOUNT_ROLES = (RES_A, RES_B, SUB_A, CUST_A, CUST_B)
RESELLERS = (RES_A, RES_B, SUB_A)
GRAND_A = "grandchildA"  # a customer under subresellerA; no role of its own (no session)
PARENT = {RES_A: None, RES_B: None, SUB_A: RES_A, CUST_A: RES_A, CUST_B: RES_B, GRAND_A: SUB_A}

# Every DID of the world and its chain of holders, top first. Purchases go top down.
CHAINS = {
    "pool": (),  # the operator's, unsold (from the admin's CSV import)
    "inactive": (),  # the operator's, Inactive: in nobody's pool
    "A": (RES_A,),  # reseller A's, not sold on: in the pool of A's customer and sub-reseller
    "A>custA": (RES_A, CUST_A),
    "A>subA": (RES_A, SUB_A),
    "B": (RES_B,),
    "B>custB": (RES_B, CUST_B),
}
CALLS = {"A>custA": ("sec-c1",), "B>custB": ("sec-c2",)}  # the CDR import's charged calls
DESTINATIONS = {"A>custA": "sip:sec-alice@pbx-a.example.net"}  # (not the help text's example)
MISSING_PK = 987654321
MISSING_NUMBER = "0000000000"
MISSING_TOKEN = "0" * 32  # a well-formed preview token nobody made

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)  # when the world's DIDs were bought
DID_CSV = b"DID,MonthlyFee (USD),City\n14155550101,5,Springfield\n14155550102,-1,\n"
MONEY = Decimal


@dataclass
class World:
    users: dict[str, User]
    accounts: dict[str, Account]
    dids: dict[str, DID]
    providers: dict[str, Provider]
    did_import: DIDImport
    call_import: CallImport
    switch_token: SwitchToken
    plain_token: str
    # "own": in the admin's session; "other": in another admin's session.
    did_previews: dict[str, str]
    cdr_previews: dict[str, str]
    api_tokens: dict = field(default_factory=dict)  # role -> its API token (the admin's: the operator's)
    api_secrets: dict = field(default_factory=dict)  # role -> that token's secret (the Bearer value)
    revoked_api_secret: str = ""  # the secret of a token of resellerA's, revoked
    webhooks: dict = field(default_factory=dict)  # role -> its webhook endpoint (the admin's: the operator's)
    webhook_deliveries: dict = field(default_factory=dict)  # role -> a delivery to that endpoint
    sessions: dict[str, str] = field(default_factory=dict)
    clients: dict[tuple, Client] = field(default_factory=dict)
    pristine: dict | None = None

    def pool_of(self, role: str) -> set[str]:
        """The DID keys ``role`` may buy: the operator's unsold Active DIDs, or its parent's not sold on."""
        parent = PARENT[role]
        if parent is None:
            return {key for key, chain in CHAINS.items() if not chain and self.dids[key].is_active}
        return {key for key, chain in CHAINS.items() if chain and chain[-1] == parent}

    def foreign_text(self, role: str) -> dict[str, str]:
        """What ``role``'s pages must never show, -> what it is: the number and name of every
        account that is not itself, its seller or one of its buyers, and the digits, calls and
        destination of every DID another tenant holds that ``role`` neither holds nor may buy."""
        near = {role, PARENT[role]} | {r for r, parent in PARENT.items() if parent == role}
        text = {}
        for other, account in self.accounts.items():
            if other not in near:
                text[account.number] = f"account number of {other}"
                text[account.name] = f"name of {other}"
        visible = self.pool_of(role) | {key for key, chain in CHAINS.items() if role in chain}
        for key, chain in CHAINS.items():
            if chain and key not in visible:
                text[self.dids[key].digits] = f"DID {key}"  # in links and search values
                text[self.dids[key].shown] = f"DID {key}"  # as pages show it: +1 855-580-1802
                for call_id in CALLS.get(key, ()):
                    text[call_id] = f"call {call_id} on DID {key}"
                if key in DESTINATIONS:
                    text[DESTINATIONS[key]] = f"destination of DID {key}"
        return text


# --- building -----------------------------------------------------------------

def _cdr_file(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Call ID", "Start", "DID", "Answered Seconds"])
    writer.writerows(rows)
    return out.getvalue().encode()


def _upload(client, url_name, content: bytes, **data):
    response = client.post(reverse(url_name), {"file": SimpleUploadedFile("world.csv", content, "text/csv"), **data})
    assert response.status_code == 200, (url_name, response.status_code)
    return response.context["token"]


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.PortalBackend")
    return client


def build_world() -> World:
    admin = User.objects.create_superuser("sec-admin", "sec-admin@example.com", "x")
    users = {ADMIN: admin}
    for role in ACCOUNT_ROLES:
        kind = Account.Kind.RESELLER if role in RESELLERS else Account.Kind.CUSTOMER
        parent = users[PARENT[role]].account if PARENT[role] else None
        users[role] = make_account_user(kind, parent=parent, name=f"Security {role}", email=f"{role}@example.com")
    users[GRAND_A] = make_account_user(Account.Kind.CUSTOMER, parent=users[SUB_A].account, name=f"Security {GRAND_A}",
                                       email=f"{GRAND_A}@example.com")
    accounts = {role: users[role].account for role in (*ACCOUNT_ROLES, GRAND_A)}
    for role in ACCOUNT_ROLES:
        add_funds(account_id=accounts[role].pk, amount=MONEY("500"), by=admin, description="World funds")

    providers = {
        "default": Provider.objects.get_or_create(name=settings.DEFAULT_PROVIDER_NAME,
                                                  defaults={"number": "3673942894"})[0],
        "other": Provider.objects.create(name="Security Carrier", is_active=False),
    }
    admin_client = _login(admin)

    # The operator's pool: an import through the admin's pages (one DID, one rejected row).
    token = _upload(admin_client, "dids:import", DID_CSV, provider=providers["default"].pk)
    assert admin_client.post(reverse("dids:import_confirm", args=[token])).status_code == 302
    did_import = DIDImport.objects.get()
    dids = {"pool": DID.objects.get(import_batch=did_import)}
    dids["inactive"] = DIDFactory(status=DID.Status.INACTIVE)
    for key, chain in CHAINS.items():
        if chain:
            dids[key] = DIDFactory(setup_fee=MONEY("1"), monthly_fee=MONEY("4"), cost_per_min=MONEY("0.10"))
    for key, chain in CHAINS.items():
        for role in chain:  # top down: each level buys from the one above
            purchase_did(buyer_id=accounts[role].pk, did_id=dids[key].pk, purchase_key=f"world-{key}-{role}",
                         by=users[role], now=T0)
    for key, destination in DESTINATIONS.items():
        set_destination(did_id=dids[key].pk, account_id=accounts[CHAINS[key][-1]].pk, call_type="sip_uri",
                        destination=destination, by=users[CHAINS[key][-1]])

    switch_token, plain_token = create_token("sec-switch.example.net", by=admin)
    made = {role: create_api_token(user=users[role], name=f"sec-api-{role}") for role in (ADMIN, *ACCOUNT_ROLES)}
    api_tokens = {role: row for role, (row, _) in made.items()}
    api_secrets = {role: secret for role, (_, secret) in made.items()}
    revoked, revoked_api_secret = create_api_token(user=users[RES_A], name="sec-api-revoked")
    revoke_api_token(revoked)
    # A webhook endpoint of each (the admin's: the operator's), each with one failed delivery. It
    # listens to did.reinstated only (the billing run's), so the tests' own changes write no event.
    webhooks, webhook_deliveries = {}, {}
    for role in (ADMIN, *ACCOUNT_ROLES):
        webhooks[role] = create_endpoint(user=users[role], url=f"https://hooks.example.com/sec-{role}",
                                         events=["did.reinstated"])[0]
        event = Event.objects.create(type="did.released", account=accounts.get(role), payload={"world": role})
        webhook_deliveries[role] = Delivery.objects.create(endpoint=webhooks[role], event=event, status="failed",
                                                           attempts=9)

    # Calls charged on two chains, one rejected row: a CDR import with an error report.
    start = (T0 + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    rows = [[call_id, start, dids[key].digits, "61"] for key, ids in CALLS.items() for call_id in ids]
    cdr = _cdr_file(rows + [["sec-c3", start, "19999999999", "5"]])
    token = _upload(admin_client, "calls:import", cdr)
    assert admin_client.post(reverse("calls:import_confirm", args=[token])).status_code == 302
    call_import = CallImport.objects.get()

    # Previews waiting for Confirm: the admin's own, and another admin's (another session).
    other_admin = _login(User.objects.create_superuser("sec-admin2", "sec-admin2@example.com", "x"))
    did_previews, cdr_previews = {}, {}
    for name, client in (("own", admin_client), ("other", other_admin)):
        did_previews[name] = _upload(client, "dids:import", DID_CSV, provider=providers["default"].pk)
        cdr_previews[name] = _upload(client, "calls:import", cdr)

    world = World(users=users, accounts=accounts, dids=dids, providers=providers, did_import=did_import,
                  call_import=call_import, switch_token=switch_token, plain_token=plain_token,
                  did_previews=did_previews, cdr_previews=cdr_previews, api_tokens=api_tokens,
                  api_secrets=api_secrets, revoked_api_secret=revoked_api_secret,
                  webhooks=webhooks, webhook_deliveries=webhook_deliveries)
    world.sessions[ADMIN] = admin_client.cookies[settings.SESSION_COOKIE_NAME].value
    for role in ACCOUNT_ROLES:
        world.sessions[role] = _login(users[role]).cookies[settings.SESSION_COOKIE_NAME].value
    for obj in (*accounts.values(), *dids.values(), *providers.values(), did_import, call_import, switch_token):
        obj.refresh_from_db()
    world.pristine = snapshot()
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, once per module, in a transaction rolled back at the module's end."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    folder = tmp_path_factory.mktemp("security-imports")
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast, DID_IMPORT_DIR=str(folder)):
        outer = harness_atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- using it -------------------------------------------------------------------

def client_for(world: World, role: str, *, csrf_checks: bool = False) -> Client:
    """A client carrying only the role's session (no cookie left by an earlier request).

    Clients are reused: a new one loads the middleware again, and WhiteNoise's scan of the
    static files costs ~80 ms each time."""
    key = (role, csrf_checks)
    client = world.clients.get(key)
    if client is None:
        client = world.clients[key] = Client(enforce_csrf_checks=csrf_checks)
    client.cookies = SimpleCookie()
    if role != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


@contextmanager
def rolled_back():
    """Whatever happens inside (a request and the checks after it) is undone on the way out."""
    with harness_atomic():
        yield
        transaction.set_rollback(True)


# --- what the data looks like -------------------------------------------------------

# Tables compared row by row (the ones a request may change in place) and tables
# compared by row count (append-only: a new row is the change).
ROW_MODELS = (Account, User, DID, Subscription, PriceOverride, Provider, SwitchToken, DIDImport, ApiToken, Endpoint,
              Delivery)
COUNT_MODELS = [LedgerEntry, DIDHistory, CallImport, Call, CallCharge, Notification, IdempotencyKey]
if apps.is_installed("axes"):
    COUNT_MODELS += [apps.get_model("axes", "AccessAttempt"), apps.get_model("axes", "AccessFailureLog")]
if apps.is_installed("audit"):
    COUNT_MODELS += [apps.get_model("audit", "AuditEntry")]


def snapshot() -> dict:
    """Every row of ROW_MODELS and the row count of COUNT_MODELS."""
    state = {m.__name__: {row["id"]: row for row in m.objects.order_by("pk").values()} for m in ROW_MODELS}
    tables = ", ".join(f"(SELECT COUNT(*) FROM {m._meta.db_table})" for m in COUNT_MODELS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {tables}")
        counts = cursor.fetchone()
    state["counts"] = {m.__name__: n for m, n in zip(COUNT_MODELS, counts)}
    return state


@dataclass
class Diff:
    added: dict[str, list[dict]] = field(default_factory=dict)  # model -> new rows
    removed: dict[str, list[int]] = field(default_factory=dict)  # model -> ids gone
    changed: dict[str, dict[int, set[str]]] = field(default_factory=dict)  # model -> id -> fields
    counts: dict[str, int] = field(default_factory=dict)  # model -> rows added (or removed, negative)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.counts)

    def __str__(self) -> str:
        lines = [f"{model}: +{len(rows)} row(s) {[r['id'] for r in rows]}" for model, rows in self.added.items()]
        lines += [f"{model}: rows {ids} deleted" for model, ids in self.removed.items()]
        lines += [f"{model} #{pk}: {sorted(fields)} changed" for model, rows in self.changed.items()
                  for pk, fields in rows.items()]
        lines += [f"{model}: {delta:+d} row(s)" for model, delta in self.counts.items()]
        return "; ".join(lines) or "no change"

    def changed_fields(self, model: str) -> dict[int, set[str]]:
        return self.changed.get(model, {})


def diff(before: dict, after: dict) -> Diff:
    result = Diff()
    for model in (m.__name__ for m in ROW_MODELS):
        old, new = before[model], after[model]
        added = [new[pk] for pk in new if pk not in old]
        removed = [pk for pk in old if pk not in new]
        changed = {pk: {f for f in new[pk] if new[pk][f] != old[pk][f]} for pk in new if pk in old}
        changed = {pk: fields for pk, fields in changed.items() if fields}
        if added:
            result.added[model] = added
        if removed:
            result.removed[model] = removed
        if changed:
            result.changed[model] = changed
    for model, count in after["counts"].items():
        if count != before["counts"][model]:
            result.counts[model] = count - before["counts"][model]
    return result


def changes_since_pristine(world: World) -> Diff:
    return diff(world.pristine, snapshot())
