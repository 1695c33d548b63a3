"""Injection and XSS regression suite (issue 8, part 4).

Hostile text (tests/security/payloads.py: markup, SQL, shell, template code, a javascript: URL,
10,000 characters, NUL, a right-to-left override, a spreadsheet formula) goes into every field a
person can type into and every search, sort and page parameter of every list, through the real
views, as the role that may use them. Each case is one payload in one field ("<field>-<payload>"):

- **Free-text fields**: the answer is 200 or 302, never 500, and the text is either stored as
  typed and then shown escaped on every page that shows it (lists, detail, edit form, statement,
  audit, CSV exports with spreadsheet formulas neutralised), or refused with a message next to the
  field and nothing written. NUL is always refused cleanly (PostgreSQL cannot store it).
- **Imports** (DID CSV, CDR CSV): a hostile cell is stored as typed or its row is rejected with a
  reason shown escaped; a hostile file name or column name is shown escaped.
- **Search, sort, page parameters**: 200 (never a SQL error), a hostile search never matches
  everything without saying so, a sort key outside the allow-list gives the default order, a
  tampered cursor gives the first page.
- **Failed logins**: a hostile username typed on the login page is shown escaped to the admin on
  the Login security page (failure log, lockouts, Unlock), and on the login page itself.
- **Routing API**: a hostile called number stays inside the JSON and XML answers.

One world (module scope, rolled back at the end); each test runs in a savepoint of its own.
"""

import csv
import io
import json
import re
import time
import uuid
from base64 import b64encode, urlsafe_b64encode
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Callable
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Account, User
from routing.destinations import set_destination
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, PriceOverride, Subscription
from dids.models import DIDHistory
from billing.subscriptions.purchase import purchase_did
from calls.importing.pipeline import rate_cdr_file
from calls.models import Call, CallImport
from dids.models import DID, DIDImport, Provider
from routing.models import SwitchToken
from routing.tokens import create_token
from tests.factories import DIDFactory, make_account_user
from tests.scaffold import harness_atomic
from tests.security.payloads import (
    IDS, IMG, NEVER_STORED, NUL, PAYLOADS, SCRIPT, assert_csv_inert, assert_harmless, assert_shown_escaped,
    escaped,
)

pytestmark = pytest.mark.django_db

ADMIN, RES_A, CUST_A, ANON = "admin", "resellerA", "customerA", "anonymous"
T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)  # when the world's DIDs were bought
NEW_NUMBER = "14155550199"  # a DID the tests create (each test is rolled back)
TEXT_STORED = set(IDS) - NEVER_STORED  # what a free-text field keeps as typed
ALL = set(IDS)


# --- the world ----------------------------------------------------------------------------------

@dataclass
class World:
    users: dict[str, User]
    accounts: dict[str, Account]
    provider: Provider
    dids: dict[str, DID]  # pool, pool2: the operator's unsold; held: reseller A's; chain: A -> customer A
    token: str  # a switch token, for the routing API
    sessions: dict[str, str] = field(default_factory=dict)


def _login(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.PortalBackend")
    return client


def _cdr(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Call ID", "Start", "DID", "Answered Seconds"])
    writer.writerows(rows)
    return out.getvalue().encode()


def _build(folder) -> World:
    admin = User.objects.create_superuser("xss-admin", "xss-admin@example.com", "x")
    res_a = make_account_user(Account.Kind.RESELLER, name="Reseller XSS", email="res@example.com")
    cust_a = make_account_user(Account.Kind.CUSTOMER, parent=res_a.account, name="Customer XSS")
    users = {ADMIN: admin, RES_A: res_a, CUST_A: cust_a}
    accounts = {RES_A: res_a.account, CUST_A: cust_a.account}
    for account in accounts.values():
        add_funds(account_id=account.pk, amount=Decimal("500"), by=admin, description="Opening funds")
    provider = Provider.objects.get_or_create(name=settings.DEFAULT_PROVIDER_NAME,
                                              defaults={"number": "3673942894"})[0]
    dids = {key: DIDFactory(city="Springfield", province="Illinois") for key in ("pool", "pool2", "held", "chain")}
    purchase_did(buyer_id=accounts[RES_A].pk, did_id=dids["held"].pk, purchase_key="xss-held", by=res_a, now=T0)
    purchase_did(buyer_id=accounts[RES_A].pk, did_id=dids["chain"].pk, purchase_key="xss-a", by=res_a, now=T0)
    purchase_did(buyer_id=accounts[CUST_A].pk, did_id=dids["chain"].pk, purchase_key="xss-c", by=cust_a, now=T0)
    set_destination(did_id=dids["chain"].pk, account_id=accounts[CUST_A].pk, call_type="sip_uri",
                    destination="sip:alice@pbx.example.com", by=cust_a)
    plain = create_token("xss-switch.example.net", by=admin)[1]
    cdr = folder / "world-cdrs.csv"
    start = (T0 + timedelta(hours=1)).isoformat()
    cdr.write_bytes(_cdr([[f"xss-world-call-{n}", start, dids["chain"].digits, "61"] for n in (1, 2)]))
    assert rate_cdr_file(cdr, write=True, by=admin).charged == 2
    for obj in (*accounts.values(), *dids.values()):
        obj.refresh_from_db()
    world = World(users=users, accounts=accounts, provider=provider, dids=dids, token=plain)
    for role, user in users.items():
        world.sessions[role] = _login(user).cookies[settings.SESSION_COOKIE_NAME].value
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once per module inside a transaction that is rolled back when the module ends."""
    folder = tmp_path_factory.mktemp("xss-imports")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast, DID_IMPORT_DIR=str(folder)):
        outer = harness_atomic()
        outer.__enter__()
        try:
            yield _build(folder)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")


_HANDLER = Client().handler


def client_for(world: World, role: str) -> Client:
    """A fresh client (no cookies from an earlier request) with the role's session. All share one
    request handler: a new one builds the middleware again, WhiteNoise's file scan included."""
    client = Client()
    client.handler = _HANDLER
    if role != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def url_exists(name: str, *args) -> bool:
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


def audit_pages(*scopes) -> list[tuple[str, str]]:
    """The audit trail's pages (another change adds them): the full list, and e.g. ("account", pk)."""
    if not url_exists("audit:list"):
        return []
    return [(ADMIN, reverse("audit:list"))] + [(ADMIN, reverse(f"audit:{kind}", args=[pk])) for kind, pk in scopes]


def counts() -> dict[str, int]:
    """Rows of every table a form of this suite could write."""
    models = [Provider, DID, DIDImport, Account, User, LedgerEntry, Subscription, PriceOverride, DIDHistory,
              SwitchToken, Call, CallImport]
    if apps.is_installed("audit"):
        models.append(apps.get_model("audit", "AuditEntry"))
    return {m.__name__: m.objects.count() for m in models}


def text_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _qs(**params) -> str:
    return urlencode(params)


def csv_cells(response) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text_of(response))) for cell in row]


def page_of(client, url, where):
    response = client.get(url)
    assert response.status_code == 200, f"{where}: {response.status_code}"
    return response


# --- free-text fields: stored as typed and shown escaped, or refused next to the field ---------------

def _did_form(world, **fields) -> dict:
    """The Create Product form, filled in."""
    return {**dict(category="DID", number=NEW_NUMBER, provider=world.provider.pk, country="US", city="", province="",
                   status="active", monthly_fee="5", billing_days="30", billing_type="recurring"), **fields}


def _held_did_form(world, **fields) -> dict:
    did = world.dids["held"]
    return {**_did_form(world, number=did.number, city=did.city, province=did.province), **fields}


def _account_form(**fields) -> dict:
    return {**dict(name="Customer New", kind="customer", parent="", status="active", username="xss-new-user",
                   email="", password1="Long-enough-pass-2026", password2="Long-enough-pass-2026", credit_limit="0"),
            **fields}


def _funds(value, **fields) -> dict:
    return {"funds-idempotency_key": str(uuid.uuid4()), "funds-amount": "1", "funds-description": value, **fields}


def _adjustment(value, **fields) -> dict:
    return {"adjust-idempotency_key": str(uuid.uuid4()), "adjust-amount": "1", "adjust-reason": value, **fields}


def _purchase(client, did, **fields):
    """Purchase -> Edit Info: the page's own offer key, then Save."""
    url = reverse("resellers:purchase", args=[did.pk])
    key = client.get(url).context["form"].initial["purchase_key"]
    return client.post(url, {"purchase_key": key, "sell_setup_fee": "1", "sell_price": "30", **fields})


def _new_did():
    return DID.objects.filter(number=f"+{NEW_NUMBER}").first()


@dataclass
class Field:
    """One free-text field: who types into it, how it is posted, where the typed value ends up."""

    id: str
    role: str
    post: Callable  # (client, world, value) -> response
    form: str  # the form in the answer's context ...
    field: str  # ... and its field that carries the message when the value is refused
    stores: set  # payload ids kept as typed; every other one must be refused
    stored: Callable = lambda world, value: None  # (world, value) -> the stored value, or None
    pages: Callable = lambda world: []  # (world) -> [(role, url)] that must show the stored value escaped
    also: Callable = lambda world: []  # (world) -> [(role, url)] that must at least stay harmless
    csvs: Callable = lambda world: []  # (world) -> [(role, url)] of CSV exports holding the value


def found(queryset, name: str, value: str):
    """``value`` if a row of ``queryset`` has it in ``name``, else None. Compared in Python: a
    query with NUL in it would fail on PostgreSQL before saying anything about the form."""
    return value if value in set(queryset.values_list(name, flat=True)) else None


def _entry(kind):
    return lambda world, value: found(LedgerEntry.objects.filter(account=world.accounts[RES_A], kind=kind),
                                      "description", value)


def _statement_pages(world):
    a = world.accounts[RES_A].pk
    return [(ADMIN, reverse("billing:account", args=[a])), (ADMIN, reverse("billing:account_statement", args=[a])),
            (RES_A, reverse("billing:statement"))]


def _statement_csvs(world):
    a = world.accounts[RES_A].pk
    return [(ADMIN, reverse("billing:account_statement", args=[a]) + "?format=csv"),
            (RES_A, reverse("billing:statement") + "?format=csv")]


def _numeric_field(id_, role, post, form, field_name):
    """An amount or a whole number: every payload is refused."""
    return Field(id_, role, post, form, field_name, stores=set())


FIELDS = [
    Field(
        "provider_name", ADMIN, lambda c, w, v: c.post(reverse("dids:provider_create"), {"name": v, "is_active": "on"}),
        "form", "name", TEXT_STORED,
        stored=lambda w, v: found(Provider.objects.all(), "name", v),
        pages=lambda w: [(ADMIN, reverse("dids:provider_list")),
                         (ADMIN, reverse("dids:provider_edit", args=[Provider.objects.latest("pk").pk])),
                         (ADMIN, reverse("dids:list")), (ADMIN, reverse("dids:create")),
                         (ADMIN, reverse("dids:import")), (ADMIN, reverse("dids:range"))],
        also=lambda w: audit_pages(),
    ),
    Field(
        "did_city", ADMIN, lambda c, w, v: c.post(reverse("dids:create"), _did_form(w, city=v)),
        "form", "city", TEXT_STORED,
        stored=lambda w, v: found(DID.objects.filter(number=f"+{NEW_NUMBER}"), "city", v),
        pages=lambda w: [(ADMIN, reverse("dids:list")), (ADMIN, reverse("dids:edit", args=[_new_did().pk])),
                         (RES_A, reverse("resellers:buy"))],
        also=lambda w: audit_pages(("did", _new_did().pk)),
        csvs=lambda w: [(ADMIN, reverse("dids:list") + "?format=csv")],
    ),
    Field(
        "did_province", ADMIN,
        lambda c, w, v: c.post(reverse("dids:edit", args=[w.dids["held"].pk]), _held_did_form(w, province=v)),
        "form", "province", TEXT_STORED,
        stored=lambda w, v: found(DID.objects.filter(pk=w.dids["held"].pk), "province", v),
        pages=lambda w: [(ADMIN, reverse("dids:list")), (ADMIN, reverse("dids:edit", args=[w.dids["held"].pk])),
                         (RES_A, reverse("resellers:dids"))],
        also=lambda w: audit_pages(("did", w.dids["held"].pk)),
        csvs=lambda w: [(ADMIN, reverse("dids:list") + "?format=csv")],
    ),
    Field(
        "account_name", ADMIN,
        lambda c, w, v: c.post(reverse("manage:edit", args=[w.accounts[RES_A].pk]),
                               {"name": v, "email": "res@example.com", "credit_limit": "0"}),
        "form", "name", TEXT_STORED,
        stored=lambda w, v: found(Account.objects.filter(pk=w.accounts[RES_A].pk), "name", v),
        pages=lambda w: [
            (ADMIN, reverse("manage:list")), (ADMIN, reverse("billing:account", args=[w.accounts[RES_A].pk])),
            (ADMIN, reverse("manage:edit", args=[w.accounts[RES_A].pk])),
            (ADMIN, reverse("billing:account_statement", args=[w.accounts[RES_A].pk])),
            (ADMIN, reverse("billing:account_margins", args=[w.accounts[RES_A].pk])),
            (ADMIN, reverse("calls:account_calls", args=[w.accounts[RES_A].pk])),
            (ADMIN, reverse("dids:list")), (ADMIN, reverse("calls:list")),
            (ADMIN, reverse("billing:edit_info", args=[w.dids["chain"].pk])),
            (RES_A, reverse("resellers:account")), (RES_A, reverse("resellers:dids")),
        ],
        also=lambda w: [
            (ADMIN, reverse("billing:margins")),
            (ADMIN, reverse("billing:holder_destination", args=[w.dids["chain"].pk, w.accounts[CUST_A].pk])),
        ] + audit_pages(("account", w.accounts[RES_A].pk)),
    ),
    Field(
        "new_account_name", ADMIN, lambda c, w, v: c.post(reverse("manage:create"), _account_form(name=v)),
        "form", "name", TEXT_STORED,
        stored=lambda w, v: found(Account.objects.all(), "name", v),
        pages=lambda w: [(ADMIN, reverse("manage:list")),
                         (ADMIN, reverse("billing:account", args=[Account.objects.latest("pk").pk]))],
        also=lambda w: audit_pages(),
    ),
    Field("new_account_email", ADMIN, lambda c, w, v: c.post(reverse("manage:create"), _account_form(email=v)),
          "form", "email", set()),
    Field("new_account_username", ADMIN, lambda c, w, v: c.post(reverse("manage:create"), _account_form(username=v)),
          "form", "username", set()),
    Field(
        "funds_description", ADMIN,
        lambda c, w, v: c.post(reverse("billing:add_funds", args=[w.accounts[RES_A].pk]), _funds(v)),
        "funds_form", "description", TEXT_STORED, stored=_entry(LedgerEntry.Kind.FUNDS_ADDED),
        pages=_statement_pages, csvs=_statement_csvs, also=lambda w: audit_pages(("account", w.accounts[RES_A].pk)),
    ),
    Field(
        "adjustment_reason", ADMIN,
        lambda c, w, v: c.post(reverse("billing:adjust", args=[w.accounts[RES_A].pk]), _adjustment(v)),
        "adjust_form", "reason", TEXT_STORED, stored=_entry(LedgerEntry.Kind.ADJUSTMENT),
        pages=_statement_pages, csvs=_statement_csvs, also=lambda w: audit_pages(("account", w.accounts[RES_A].pk)),
    ),
    Field(
        "switch_token_name", ADMIN, lambda c, w, v: c.post(reverse("routing:token_create"), {"name": v}),
        "form", "name", TEXT_STORED,
        stored=lambda w, v: found(SwitchToken.objects.all(), "name", v),
        pages=lambda w: [(ADMIN, reverse("routing:tokens")),
                         (ADMIN, reverse("routing:token_revoke", args=[SwitchToken.objects.latest("pk").pk]))],
    ),
    *[
        Field(f"destination_{call_type}", CUST_A,
              lambda c, w, v, t=call_type: c.post(reverse("billing:destination", args=[w.dids["chain"].pk]),
                                                  {"call_type": t, "destination": v}),
              "form", "destination", set())
        for call_type in ("sip_uri", "sip_device", "pstn")
    ],
    Field("did_number", ADMIN, lambda c, w, v: c.post(reverse("dids:create"), _did_form(w, number=v)),
          "form", "number", set()),
    Field("range_first", ADMIN,
          lambda c, w, v: c.post(reverse("dids:range"), {**_did_form(w, first=v, count="3"), "number": ""}),
          "form", "first", set()),
    _numeric_field("did_monthly_fee", ADMIN, lambda c, w, v: c.post(reverse("dids:create"), _did_form(w, monthly_fee=v)),
                 "form", "monthly_fee"),
    _numeric_field("did_grace_time", ADMIN, lambda c, w, v: c.post(reverse("dids:create"), _did_form(w, grace_time=v)),
                 "form", "grace_time"),
    _numeric_field("range_count", ADMIN,
                 lambda c, w, v: c.post(reverse("dids:range"), {**_did_form(w, first=NEW_NUMBER, count=v),
                                                                "number": ""}),
                 "form", "count"),
    _numeric_field("account_credit_limit", ADMIN,
                 lambda c, w, v: c.post(reverse("manage:edit", args=[w.accounts[RES_A].pk]),
                                        {"name": "Reseller XSS", "email": "", "credit_limit": v}),
                 "form", "credit_limit"),
    _numeric_field("funds_amount", ADMIN,
                 lambda c, w, v: c.post(reverse("billing:add_funds", args=[w.accounts[RES_A].pk]),
                                        _funds("x", **{"funds-amount": v})),
                 "funds_form", "amount"),
    _numeric_field("adjustment_amount", ADMIN,
                 lambda c, w, v: c.post(reverse("billing:adjust", args=[w.accounts[RES_A].pk]),
                                        _adjustment("x", **{"adjust-amount": v})),
                 "adjust_form", "amount"),
    _numeric_field("sell_price", RES_A,
                 lambda c, w, v: c.post(reverse("billing:my_edit_info", args=[w.dids["held"].pk]),
                                        {"sell_setup_fee": "1", "sell_price": v}),
                 "form", "sell_price"),
    _numeric_field("operator_sell_setup_fee", ADMIN,
                 lambda c, w, v: c.post(reverse("billing:edit_info", args=[w.dids["pool"].pk]),
                                        {"sell_setup_fee": v, "sell_price": "5"}),
                 "form", "sell_setup_fee"),
    _numeric_field("purchase_sell_price", RES_A, lambda c, w, v: _purchase(c, w.dids["pool"], sell_price=v),
                 "form", "sell_price"),
]


@pytest.mark.parametrize("payload_id", IDS)
@pytest.mark.parametrize("spec", FIELDS, ids=[f.id for f in FIELDS])
def test_free_text_field(world, spec, payload_id):
    value = PAYLOADS[payload_id]
    client = client_for(world, spec.role)
    before = counts()

    response = spec.post(client, world, value)

    assert response.status_code in (200, 302), response.status_code  # a 500 raises in the test client
    html = text_of(response)
    assert_harmless(html, "the form's answer")
    if payload_id in spec.stores:
        assert spec.stored(world, value) == value, "not stored as typed"
        for role, url in spec.pages(world):
            assert_shown_escaped(text_of(page_of(client_for(world, role), url, url)), value, url)
        for role, url in spec.also(world):
            assert_harmless(text_of(page_of(client_for(world, role), url, url)), url)
        for role, url in spec.csvs(world):
            assert_csv_inert(csv_cells(page_of(client_for(world, role), url, url)), value, url)
    else:
        assert response.status_code == 200, "a refused value shows the form again"
        form = response.context[spec.form]
        assert form.errors.get(spec.field), f"no message next to {spec.field}: {form.errors}"
        assert escaped(form.errors[spec.field][0]) in html, "the message is not on the page"
        assert spec.stored(world, value) is None
        assert counts() == before, "a refused form wrote something"


def test_nul_is_refused_by_the_form_not_by_the_database(world):
    """Django's own message, next to the field, on both databases."""
    response = client_for(world, ADMIN).post(reverse("dids:provider_create"), {"name": NUL, "is_active": "on"})
    assert response.context["form"].errors["name"] == ["Null characters are not allowed."]


def test_template_code_is_shown_as_typed_not_run(world):
    client = client_for(world, ADMIN)
    client.post(reverse("dids:provider_create"), {"name": "{{7*7}} {% now 'Y' %}", "is_active": "on"})
    html = text_of(client.get(reverse("dids:provider_list")))
    assert "{{7*7}} {% now &#x27;Y&#x27; %}" in html and ">49 " not in html


# --- Buy DIDs' own reflection: the typed search is written back into the search box ---------------------

@pytest.mark.parametrize("payload_id", ["script", "img", "template_var", "rtl"])
def test_buy_dids_search_box_keeps_the_typed_text_escaped(world, payload_id):
    value = PAYLOADS[payload_id]
    html = text_of(page_of(client_for(world, RES_A), reverse("resellers:buy") + "?" + _qs(number=value), "buy"))
    assert f'name="number" value="{escaped(value)}"' in html
    assert_harmless(html)


# --- values that are not form fields: the buyer parameter, the preview's seconds, statement dates ------

@pytest.mark.parametrize("payload_id", IDS)
@pytest.mark.parametrize("door", ["own", "operator"])
def test_edit_info_buyer_parameter_is_a_clean_404(world, door, payload_id):
    role, url = {"own": (RES_A, reverse("billing:my_edit_info", args=[world.dids["held"].pk])),
                 "operator": (ADMIN, reverse("billing:edit_info", args=[world.dids["pool"].pk]))}[door]
    client = client_for(world, role)
    before = counts()
    assert client.get(url, {"buyer": PAYLOADS[payload_id]}).status_code == 404
    posted = client.post(url, {"buyer": PAYLOADS[payload_id], "sell_setup_fee": "1", "sell_price": "9"})
    assert posted.status_code == 404
    assert counts() == before


@pytest.mark.parametrize("payload_id", IDS)
def test_purchase_with_a_forged_offer_key_is_a_clean_404(world, payload_id):
    before = counts()
    response = client_for(world, RES_A).post(reverse("resellers:purchase", args=[world.dids["pool"].pk]),
                                             {"purchase_key": PAYLOADS[payload_id], "sell_setup_fee": "1",
                                              "sell_price": "30"})
    assert response.status_code == 404 and counts() == before


def _preview_pages(world):
    return {
        "edit_product": (ADMIN, reverse("dids:edit", args=[world.dids["held"].pk])),
        "operator_edit_info": (ADMIN, reverse("billing:edit_info", args=[world.dids["pool"].pk])),
        "my_edit_info": (RES_A, reverse("billing:my_edit_info", args=[world.dids["held"].pk])),
        "destination": (CUST_A, reverse("billing:destination", args=[world.dids["chain"].pk])),
    }


@pytest.mark.parametrize("payload_id", IDS)
@pytest.mark.parametrize("page", ["edit_product", "operator_edit_info", "my_edit_info", "destination"])
def test_call_cost_preview_seconds_are_refused_next_to_the_field(world, page, payload_id):
    role, url = _preview_pages(world)[page]
    response = page_of(client_for(world, role), url + "?" + _qs(seconds=PAYLOADS[payload_id]), url)
    form = response.context["preview"].form
    assert form.errors["seconds"] == ["Enter whole seconds from 0 to 86400, e.g. 47."]
    html = text_of(response)
    assert escaped(form.errors["seconds"][0]) in html
    assert_harmless(html)


@pytest.mark.parametrize("payload_id", IDS)
@pytest.mark.parametrize("param", ["date_from", "date_to"])
@pytest.mark.parametrize("door", ["own", "admin"])
def test_statement_date_filter_is_refused_and_filters_nothing(world, door, param, payload_id):
    role, url = {"own": (RES_A, reverse("billing:statement")),
                 "admin": (ADMIN, reverse("billing:account_statement", args=[world.accounts[RES_A].pk]))}[door]
    client = client_for(world, role)
    everything = page_of(client, url, url).context["page"].rows
    response = page_of(client, url + "?" + _qs(**{param: PAYLOADS[payload_id]}), url)
    assert response.context["filters"].errors.get(param), "no message next to the date"
    assert [e.pk for e in response.context["page"].rows] == [e.pk for e in everything]
    assert_harmless(text_of(response))
    csv_response = client.get(url + "?" + _qs(**{param: PAYLOADS[payload_id], "format": "csv"}))
    assert csv_response.status_code == 200 and len(csv_cells(csv_response)) > 7


# --- imports: a hostile cell, column or file name -------------------------------------------------------

def _did_file(header: list[str], row: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerow(row)
    return out.getvalue().encode()


def _upload(client, url_name, content: bytes, name="carrier.csv", **data):
    return client.post(reverse(url_name), {"file": SimpleUploadedFile(name, content, "text/csv"), **data})


def _preview_errors(response) -> list:
    return response.context["report"].first_errors


@pytest.mark.parametrize("payload_id", IDS)
@pytest.mark.parametrize("column", ["City", "Province"])
def test_did_import_text_cell(world, column, payload_id):
    value = PAYLOADS[payload_id]
    client = client_for(world, ADMIN)
    preview = _upload(client, "dids:import", _did_file(["DID", "MonthlyFee (USD)", column], [NEW_NUMBER, "5", value]),
                      provider=world.provider.pk)
    assert preview.status_code == 200
    assert_harmless(text_of(preview), "preview")
    token = preview.context["token"]
    confirmed = client.post(reverse("dids:import_confirm", args=[token]), follow=True)
    assert confirmed.status_code == 200
    did = _new_did()
    if payload_id in NEVER_STORED:  # longer than 100, or NUL: the row is rejected with its reason
        (rejected,) = _preview_errors(preview)
        assert rejected.reason.startswith(f"{column}:") and escaped(rejected.reason) in text_of(preview)
        assert did is None
        return
    assert not _preview_errors(preview)
    assert getattr(did, column.lower()) == value
    for role, url in [(ADMIN, reverse("dids:list")), (ADMIN, reverse("dids:edit", args=[did.pk])),
                      (RES_A, reverse("resellers:buy"))]:
        assert_shown_escaped(text_of(page_of(client_for(world, role), url, url)), value, url)
    detail = reverse("dids:import_detail", args=[DIDImport.objects.latest("pk").pk])
    assert_harmless(text_of(page_of(client, detail, detail)), detail)
    exported = client.get(reverse("dids:list") + "?format=csv")
    assert_csv_inert(csv_cells(exported), value, "Export CSV")


@pytest.mark.parametrize("payload_id", IDS)
def test_did_import_unknown_provider_is_rejected_with_its_name_escaped(world, payload_id):
    value = PAYLOADS[payload_id]
    client = client_for(world, ADMIN)
    content = _did_file(["DID", "MonthlyFee (USD)", "Provider"], [NEW_NUMBER, "5", value])
    preview = _upload(client, "dids:import", content, provider=world.provider.pk)
    assert preview.status_code == 200
    (rejected,) = _preview_errors(preview)
    assert rejected.reason.startswith("Provider: no provider named")
    html = text_of(preview)
    assert escaped(rejected.reason) in html
    assert_harmless(html)
    errors = client.get(reverse("dids:import_preview_errors", args=[preview.context["token"]]))
    assert errors.status_code == 200 and rejected.reason in csv_cells(errors)


@pytest.mark.parametrize("payload_id", IDS)
def test_did_import_unknown_column_name_is_listed_escaped(world, payload_id):
    value = PAYLOADS[payload_id]
    preview = _upload(client_for(world, ADMIN), "dids:import",
                      _did_file(["DID", "MonthlyFee (USD)", value], [NEW_NUMBER, "5", "x"]), provider=world.provider.pk)
    assert preview.status_code == 200
    assert preview.context["report"].new == 1 and preview.context["report"].ignored_columns == [value]
    assert_shown_escaped(text_of(preview), value, "preview")


@pytest.mark.parametrize("payload_id", IDS)
def test_did_import_file_name_is_shown_escaped(world, payload_id):
    client = client_for(world, ADMIN)
    name = PAYLOADS[payload_id][:200] + ".csv"
    preview = _upload(client, "dids:import", _did_file(["DID", "MonthlyFee (USD)"], [NEW_NUMBER, "5"]), name=name,
                      provider=world.provider.pk)
    assert preview.status_code == 200
    assert_harmless(text_of(preview))
    response = client.post(reverse("dids:import_confirm", args=[preview.context["token"]]))
    assert response.status_code == 302
    imported = DIDImport.objects.latest("pk")
    assert "\x00" not in imported.filename  # Django drops control characters from upload names
    for url in (reverse("dids:imports"), reverse("dids:import_detail", args=[imported.pk])):
        assert_shown_escaped(text_of(page_of(client, url, url)), imported.filename, url)


@pytest.mark.parametrize("payload_id", IDS)
def test_did_range_city(world, payload_id):
    value = PAYLOADS[payload_id]
    client = client_for(world, ADMIN)
    before = counts()
    response = client.post(reverse("dids:range"), {**_did_form(world, first="14155550190", count="2", city=value),
                                                   "number": ""})
    assert response.status_code == 200
    assert_harmless(text_of(response))
    if payload_id in NEVER_STORED:
        assert response.context["form"].errors.get("city") and counts() == before
        return
    confirmed = client.post(reverse("dids:import_confirm", args=[response.context["token"]]))
    assert confirmed.status_code == 302
    created = DID.objects.filter(number__in=["+14155550190", "+14155550191"])
    assert list(created.values_list("city", flat=True)) == [value] * 2
    assert_shown_escaped(text_of(page_of(client, reverse("dids:list"), "list")), value, "DID list")


def _call_id_rejected(payload_id) -> bool:
    """Call IDs are at most 128 printable characters: 10,000 characters, NUL and U+202E are refused."""
    return payload_id in NEVER_STORED | {"rtl"}


@pytest.mark.parametrize("payload_id", IDS)
def test_cdr_import_call_id(world, payload_id):
    value = PAYLOADS[payload_id]
    client = client_for(world, ADMIN)
    start = (T0 + timedelta(hours=2)).isoformat()
    preview = _upload(client, "calls:import", _cdr([[value, start, world.dids["chain"].digits, "30"]]))
    assert preview.status_code == 200
    html = text_of(preview)
    assert_harmless(html, "preview")
    report = preview.context["report"]
    if _call_id_rejected(payload_id):
        (rejected,) = report.first_errors
        assert rejected.reason.startswith("Call ID:") and escaped(rejected.reason) in html
    else:
        assert report.charged == 1 and not report.first_errors
    confirmed = client.post(reverse("calls:import_confirm", args=[preview.context["token"]]))
    assert confirmed.status_code == 302
    record = CallImport.objects.latest("pk")
    call = Call.objects.filter(import_batch=record).first()
    if _call_id_rejected(payload_id):
        assert call is None
        errors = client.get(reverse("calls:import_errors", args=[record.pk]))
        assert errors.status_code == 200 and csv_cells(errors)[:2] == ["Line", "Reason"]
        return
    assert call.call_id == value
    for role, url in [(ADMIN, reverse("calls:list")), (CUST_A, reverse("calls:mine")), (RES_A, reverse("calls:mine")),
                      (ADMIN, reverse("calls:account_calls", args=[world.accounts[CUST_A].pk]))]:
        assert_shown_escaped(text_of(page_of(client_for(world, role), url, url)), value, url)
    for url in (reverse("calls:imports"), reverse("calls:import_detail", args=[record.pk])):
        assert_harmless(text_of(page_of(client, url, url)), url)


@pytest.mark.parametrize("payload_id", IDS)
@pytest.mark.parametrize("column", ["DID", "Start", "Answered Seconds"])
def test_cdr_import_bad_cell_is_a_rejected_row(world, column, payload_id):
    row = {"Call ID": "xss-bad-cell", "Start": (T0 + timedelta(hours=2)).isoformat(),
           "DID": world.dids["chain"].digits, "Answered Seconds": "30", column: PAYLOADS[payload_id]}
    preview = _upload(client_for(world, ADMIN), "calls:import", _cdr([list(row.values())]))
    assert preview.status_code == 200
    (rejected,) = preview.context["report"].first_errors
    assert rejected.reason.startswith(f"{column}:")
    html = text_of(preview)
    assert escaped(rejected.reason) in html
    assert_harmless(html)


@pytest.mark.parametrize("value", ["²", "٣" * 3, "9" * 5000])
def test_cdr_import_seconds_that_int_refuses_are_a_rejected_row(world, value):
    """Regression: "²" is a digit to str.isdigit() and 5,000 digits exceed int()'s limit: both were 500s."""
    row = ["xss-seconds", (T0 + timedelta(hours=2)).isoformat(), world.dids["chain"].digits, value]
    preview = _upload(client_for(world, ADMIN), "calls:import", _cdr([row]))
    assert preview.status_code == 200
    report = preview.context["report"]
    if value == "٣" * 3:  # Arabic-Indic digits are decimal digits: 333 seconds
        assert report.charged == 1
    else:
        assert report.first_errors[0].reason.startswith("Answered Seconds:")


@pytest.mark.parametrize("value", ["9" * 5000, "²", "٣"])
def test_did_import_whole_number_that_int_refuses_is_a_rejected_row(world, value):
    """Regression: 5,000 digits exceed int()'s limit: a 500 (ValueError) instead of a rejected row."""
    preview = _upload(client_for(world, ADMIN), "dids:import",
                      _did_file(["DID", "MonthlyFee (USD)", "Billing Days"], [NEW_NUMBER, "5", value]),
                      provider=world.provider.pk)
    assert preview.status_code == 200
    report = preview.context["report"]
    if value == "٣":  # an Arabic-Indic 3 is a decimal digit, as on the form: 3 days
        assert report.new == 1
    else:
        assert report.first_errors[0].reason.startswith("Billing Days:")


@pytest.mark.parametrize("payload_id", IDS)
def test_cdr_import_file_name_is_shown_escaped(world, payload_id):
    client = client_for(world, ADMIN)
    content = _cdr([["xss-name", (T0 + timedelta(hours=3)).isoformat(), world.dids["chain"].digits, "5"]])
    preview = _upload(client, "calls:import", content, name=PAYLOADS[payload_id][:200] + ".csv")
    assert preview.status_code == 200
    assert_harmless(text_of(preview))
    assert client.post(reverse("calls:import_confirm", args=[preview.context["token"]])).status_code == 302
    record = CallImport.objects.latest("pk")
    assert "\x00" not in record.filename
    for url in (reverse("calls:imports"), reverse("calls:import_detail", args=[record.pk])):
        assert_shown_escaped(text_of(page_of(client, url, url)), record.filename, url)


@pytest.mark.parametrize("payload_id", IDS)
def test_bulk_action_ids_and_search_are_checked_not_trusted(world, payload_id):
    value = PAYLOADS[payload_id]
    client = client_for(world, ADMIN)
    before = counts()
    for data in ({"action": "deactivate", "scope": "checked", "ids": [value]},
                 {"action": value, "scope": "checked", "ids": [str(world.dids["pool"].pk)]},
                 {"action": "deactivate", "scope": "all", "q": f"city={value}"}):
        response = client.post(reverse("dids:bulk"), data, follow=True)
        assert response.status_code == 200
        assert_harmless(text_of(response))
    assert counts() == before and DID.objects.get(pk=world.dids["pool"].pk).is_active


@pytest.mark.parametrize("value", ["²", "9" * 5000, "99999999999999999999999"])
def test_bulk_action_ids_int_refuses_are_dropped(world, value):
    """Regression: "²" passed str.isdigit() and 5,000 digits exceed int()'s limit: both were 500s."""
    response = client_for(world, ADMIN).post(reverse("dids:bulk"), {"action": "deactivate", "scope": "checked",
                                                                    "ids": [value]}, follow=True)
    assert response.status_code == 200
    assert "Check at least one DID" in text_of(response) or "None of these DIDs" in text_of(response)


def test_did_list_import_batch_beyond_any_id_is_refused_not_a_500(world):
    """Regression: SQLite cannot compare an integer past 64 bits (OverflowError, a 500)."""
    response = _get(client_for(world, ADMIN), reverse("dids:list"), import_batch="9" * 23)
    assert response.context["search"].errors["import_batch"]


def test_exported_formula_text_imports_back_as_typed(world):
    """Export CSV writes '=... so that a spreadsheet shows text; the import takes the apostrophe
    off again, so an exported file still imports the values as they were typed."""
    client = client_for(world, ADMIN)
    formula = PAYLOADS["csv_formula"]
    DID.objects.filter(pk=world.dids["pool"].pk).update(city=formula, province="-1", number=f"+{NEW_NUMBER}")
    exported = text_of(client.get(reverse("dids:list") + "?" + _qs(format="csv", number=NEW_NUMBER)))
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert f"'{formula}" in cells and "'-1" in cells
    DID.objects.filter(pk=world.dids["pool"].pk).delete()
    preview = _upload(client, "dids:import", exported.encode(), provider=world.provider.pk)
    assert preview.context["report"].new == 1
    assert client.post(reverse("dids:import_confirm", args=[preview.context["token"]])).status_code == 302
    assert (_new_did().city, _new_did().province) == (formula, "-1")


@pytest.mark.skipif(not url_exists("audit:login_as", 1), reason="no \"log in as\" in this tree")
@pytest.mark.parametrize("payload_id", ["script", "img", "template_tag"])
def test_login_as_banner_shows_the_account_name_escaped(world, payload_id):
    value = PAYLOADS[payload_id]
    Account.objects.filter(pk=world.accounts[RES_A].pk).update(name=value)
    client = client_for(world, ADMIN)
    response = client.post(reverse("audit:login_as", args=[world.accounts[RES_A].pk]), follow=True)
    assert response.status_code == 200
    assert_shown_escaped(text_of(response), value, "the page under the banner")


# --- failed logins: what a stranger typed, as the admin sees it ---------------------------------------------

def _as_axes_keeps_it(username: str) -> str:
    return username.strip().casefold()[:255]  # accounts.security.lockout_username


def _fail_login(client, username):
    return client.post(reverse("login"), {"username": username, "password": "wrong-password"})


@pytest.mark.parametrize("payload_id", IDS)
def test_failed_login_username_is_escaped_on_the_login_page_and_for_the_admin(world, payload_id):
    value = PAYLOADS[payload_id]
    failure_log = apps.get_model("axes", "AccessFailureLog")
    before = failure_log.objects.count()
    response = _fail_login(client_for(world, ANON), value)
    assert response.status_code == 200
    html = text_of(response)
    assert_harmless(html, "login page")
    assert f'value="{escaped(value)}"' in html, "the login page does not show the username typed"

    security = page_of(client_for(world, ADMIN), reverse("login_security"), "Login security")
    if payload_id in NEVER_STORED:  # refused by the form before any login is tried: nothing to log
        assert response.context["form"].errors.get("username")
        assert failure_log.objects.count() == before
        assert_harmless(text_of(security))
        return
    assert failure_log.objects.count() == before + 1
    assert_shown_escaped(text_of(security), _as_axes_keeps_it(value), "Login security")


@pytest.mark.parametrize("payload_id", sorted(set(IDS) - NEVER_STORED))
def test_locked_out_username_is_escaped_in_the_lockout_list_and_unlock(world, payload_id):
    value = PAYLOADS[payload_id]
    stranger = client_for(world, ANON)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = _fail_login(stranger, value)
    assert last.status_code == 429, "the pair is not locked out"
    assert_harmless(text_of(last), "lockout page")
    assert f'value="{escaped(value)}"' in text_of(last)

    admin = client_for(world, ADMIN)
    html = text_of(page_of(admin, reverse("login_security"), "Login security"))
    kept = _as_axes_keeps_it(value)
    assert re.search(rf'name="username" value="{re.escape(escaped(kept))}"', html)  # in an attribute: quotes matter
    assert_shown_escaped(html, kept, "lockouts")

    unlocked = admin.post(reverse("login_unlock"), {"username": kept, "ip_address": "127.0.0.1"}, follow=True)
    assert unlocked.status_code == 200
    assert_shown_escaped(text_of(unlocked), kept, "Unlock message")


@pytest.mark.parametrize("payload_id", ["script", "img", "js_url", "sql_or"])
def test_login_next_parameter_never_leaves_the_site(world, payload_id):
    value = PAYLOADS[payload_id]
    client = client_for(world, ANON)
    page = client.get(reverse("login"), {"next": value})
    assert page.status_code == 200
    assert_harmless(text_of(page))  # LoginView keeps only a safe "next" for the form
    user = world.users[RES_A]
    user.set_password("Right-password-2026")
    user.save()
    response = client.post(reverse("login"), {"username": user.username, "password": "Right-password-2026",
                                               "next": value})
    assert response.status_code == 302
    assert not response["Location"].lower().startswith(("javascript:", "//", "http")), response["Location"]


# --- search, sort and page parameters of every list ----------------------------------------------------------

@dataclass
class ListPage:
    id: str
    role: str
    url: Callable  # world -> url
    searches: tuple = ()  # text filters: a hostile one matches nothing, or says why it is ignored
    choices: tuple = ()  # filters with fixed values read without a form: an unknown value filters nothing
    sorts: bool = True  # has ?sort=
    default_sort: str = ""
    keyset: bool = False  # after / before / last (and "from" when jump is set)
    jump: bool = False
    form: str = "search"  # the filter form in the context, if any


LISTS = [
    ListPage("dids", ADMIN, lambda w: reverse("dids:list"), ("number", "city", "province", "holder", "country",
             "provider", "status", "match", "import_batch"), default_sort="number", keyset=True, jump=True),
    ListPage("providers", ADMIN, lambda w: reverse("dids:provider_list"), ("q",), ("status",), default_sort="name",
             form=""),
    ListPage("accounts", ADMIN, lambda w: reverse("manage:list"), ("q", "kind", "status", "parent"),
             default_sort="name"),
    ListPage("my_dids", RES_A, lambda w: reverse("resellers:dids"), ("number",), default_sort="number",
             keyset=True, form=""),
    ListPage("buy_dids", RES_A, lambda w: reverse("resellers:buy"), ("number", "country"), default_sort="number",
             keyset=True, jump=True, form=""),
    ListPage("buy_dids_customer", CUST_A, lambda w: reverse("resellers:buy"), ("number", "country"),
             default_sort="number", keyset=True, jump=True, form=""),
    ListPage("own_statement", RES_A, lambda w: reverse("billing:statement"), ("date_from", "date_to"),
             default_sort="-date", keyset=True, form="filters"),
    ListPage("admin_statement", ADMIN, lambda w: reverse("billing:account_statement", args=[w.accounts[RES_A].pk]),
             ("date_from", "date_to"), default_sort="-date", keyset=True, form="filters"),
    ListPage("margins", ADMIN, lambda w: reverse("billing:margins"), default_sort="name", form=""),
    ListPage("account_margins", ADMIN, lambda w: reverse("billing:account_margins", args=[w.accounts[RES_A].pk]),
             default_sort="number", form=""),
    ListPage("my_margins", RES_A, lambda w: reverse("billing:my_margins"), default_sort="number", form=""),
    ListPage("calls", ADMIN, lambda w: reverse("calls:list"), ("did",), default_sort="-start", keyset=True),
    ListPage("account_calls", ADMIN, lambda w: reverse("calls:account_calls", args=[w.accounts[CUST_A].pk]),
             ("did",), default_sort="-start", keyset=True),
    ListPage("my_calls", CUST_A, lambda w: reverse("calls:mine"), ("did",), default_sort="-start", keyset=True),
    ListPage("did_imports", ADMIN, lambda w: reverse("dids:imports"), default_sort="created", form=""),
    ListPage("cdr_imports", ADMIN, lambda w: reverse("calls:imports"), default_sort="created", form=""),
    ListPage("login_security", ADMIN, lambda w: reverse("login_security"), default_sort="-time", keyset=True,
             form=""),
    ListPage("billing_audit", ADMIN, lambda w: reverse("billing:audit"), sorts=False, form=""),
    ListPage("switch_tokens", ADMIN, lambda w: reverse("routing:tokens"), sorts=False, form=""),
]
if url_exists("audit:list"):
    LISTS.append(ListPage("audit", ADMIN, lambda w: reverse("audit:list"), ("did", "account", "action", "source"),
                          default_sort="-at", keyset=True))


_FIRST_PAGES: dict[str, list] = {}


def _rows(response) -> list | None:
    page = response.context.get("page") if response.context else None
    return None if page is None else [getattr(r, "pk", r) for r in page.rows]


def _get(client, url, **params):
    started = time.monotonic()
    response = client.get(url + "?" + _qs(**params))
    assert response.status_code == 200, (params, response.status_code)
    assert time.monotonic() - started < 5, f"{params}: took 5 s or more (did something sleep?)"
    assert_harmless(text_of(response), str(params)[:80])
    return response


@pytest.mark.parametrize("payload_id", IDS)
@pytest.mark.parametrize("spec", LISTS, ids=[s.id for s in LISTS])
def test_list_parameters(world, settings, spec, payload_id):
    """Every parameter of the list with the payload: 200, the payload harmless on the page, and
    - a text filter matches nothing, or shows why it was ignored (never everything, silently);
    - ``sort`` (also ``-payload``) falls back to the list's default sort;
    - a cursor (after / before / from / last / page) it cannot use gives the first page."""
    value = PAYLOADS[payload_id]
    client = client_for(world, spec.role)
    url = spec.url(world)
    settings.LIST_EXACT_COUNT_LIMIT = 1  # keyset pages from 2 rows on: cursors are read
    if spec.id not in _FIRST_PAGES:  # the same in every test: each one is rolled back
        _FIRST_PAGES[spec.id] = _rows(_get(client, url))
    first = _FIRST_PAGES[spec.id]

    for name in spec.searches:
        response = _get(client, url, **{name: value})
        form = response.context.get(spec.form) if spec.form else None
        ignored = form is not None and form.is_bound and bool(form.errors)
        if ignored:
            assert _rows(response) == first, f"{name}: an ignored filter must leave the list as it was"
            message = next(iter(form.errors.values()))[0]
            assert escaped(message) in text_of(response), f"{name}: the reason it was ignored is not shown"
        elif name not in ("match",):  # "match" only chooses how the number is matched
            assert _rows(response) in ([], None), f"{name}={value[:30]!r} matched rows"
    for name in spec.choices:
        assert _rows(_get(client, url, **{name: value})) == first, f"{name}: an unknown value must filter nothing"

    if spec.sorts:
        for sort in (value, f"-{value}"):
            response = _get(client, url, sort=sort)
            assert response.context["page"].sort == spec.default_sort
            assert _rows(response) == first, "not the default order"
    for name in ("page", "after", "before") if spec.keyset else ("page",):
        assert _rows(_get(client, url, **{name: value})) == first, f"{name}: not the first page"
    if spec.keyset:  # "last" is the last page whatever its value; "from", a number to start at (see below)
        _get(client, url, last=value)
        _get(client, url, **{"from": value})


# Sort keys an attacker would try instead of text: model fields and lookups outside the allow-list,
# e.g. ordering accounts by their users' password hashes to learn them one comparison at a time.
ORM_SORTS = ["user__password", "holder__user__password", "account__user__password", "password", "pk", "id",
             "?", "number__contains", "name;", "-", "--", ""]


@pytest.mark.parametrize("spec", [s for s in LISTS if s.sorts], ids=[s.id for s in LISTS if s.sorts])
def test_sort_keys_only_from_the_allow_list(world, settings, spec):
    settings.LIST_EXACT_COUNT_LIMIT = 1
    client = client_for(world, spec.role)
    url = spec.url(world)
    first = _rows(_get(client, url))
    for sort in ORM_SORTS:
        response = _get(client, url, sort=sort)
        assert response.context["page"].sort == spec.default_sort, sort
        assert _rows(response) == first, f"sort={sort!r}: not the default order"


@pytest.mark.parametrize("payload_id", ["sql_or", "sql_drop", "shell_sleep", "shell_subst", "script"])
def test_number_search_does_not_become_sql(world, payload_id):
    """``?number=' OR 1=1 --`` and friends: the DID list, My DIDs and Buy DIDs match nothing (the
    characters that are not digits stay in the search), or refuse it (too long) and say so."""
    value = PAYLOADS[payload_id]
    for role, url in ((ADMIN, reverse("dids:list")), (RES_A, reverse("resellers:dids")),
                      (RES_A, reverse("resellers:buy"))):
        for match in ("contains", "starts"):
            response = _get(client_for(world, role), url, number=value, match=match)
            search = response.context.get("search")
            if search is not None and search.errors:
                assert "number" in search.errors
            else:
                assert _rows(response) == [], f"{url}: {value!r} matched rows"


def _cursor(sort: str, keys: list) -> str:
    raw = json.dumps({"s": sort, "k": keys, "n": 2, "e": 0}).encode()
    return urlsafe_b64encode(raw).decode().rstrip("=")


# Well-formed cursors (base64 JSON, the right sort, the right number of keys) with values
# the database cannot compare: each was a 500 before core.listing._comparable.
HOSTILE_CURSORS = [
    ("dids-number-nul", ADMIN, "dids:list", "number", [NUL]),
    ("dids-city-nul", ADMIN, "dids:list", "city", [NUL, "+1"]),
    ("dids-provider-nul", ADMIN, "dids:list", "provider", [NUL, "+1"]),
    ("dids-buy_cost-huge", ADMIN, "dids:list", "buy_cost", ["1e999999", "+1"]),
    ("dids-buy_cost-tiny", ADMIN, "dids:list", "buy_cost", ["1e-999999", "+1"]),
    ("dids-buy_cost-nan", ADMIN, "dids:list", "buy_cost", ["NaN", "+1"]),
    ("dids-billing_days-huge", ADMIN, "dids:list", "billing_days", [10**30, "+1"]),
    ("dids-created-year1", ADMIN, "dids:list", "created", ["0001-01-01T00:00:00+05:00", 1]),
    ("dids-number-sql", ADMIN, "dids:list", "number", ["' OR 1=1 --"]),
    ("dids-number-object", ADMIN, "dids:list", "number", [{"$gt": ""}]),
    ("buy-number-nul", RES_A, "resellers:buy", "number", [NUL]),
    ("my_dids-number-nul", RES_A, "resellers:dids", "number", [NUL, 1]),
    ("statement-seq-huge", RES_A, "billing:statement", "-date", [10**30]),
    ("calls-start-year9999", ADMIN, "calls:list", "-start", ["9999-12-31T23:59:59-05:00", 1]),
    ("calls-start-nul", ADMIN, "calls:list", "-start", [NUL, 1]),
]


@pytest.mark.parametrize("name, role, url_name, sort, keys", HOSTILE_CURSORS, ids=[c[0] for c in HOSTILE_CURSORS])
@pytest.mark.parametrize("direction", ["after", "before"])
def test_tampered_cursor_gives_the_first_page(world, settings, name, role, url_name, sort, keys, direction):
    settings.LIST_EXACT_COUNT_LIMIT = 1
    client = client_for(world, role)
    url = reverse(url_name)
    first = _rows(_get(client, url, sort=sort))
    assert len(first) > 1, "the list needs rows for this test to mean anything"
    response = _get(client, url, sort=sort, **{direction: _cursor(sort, keys)})
    assert _rows(response) == first


@pytest.mark.parametrize("payload_id", IDS)
@pytest.mark.parametrize("role, url_name", [(ADMIN, "dids:list"), (RES_A, "resellers:buy")])
def test_go_to_did_with_text_is_harmless(world, settings, role, url_name, payload_id):
    settings.LIST_EXACT_COUNT_LIMIT = 1
    response = _get(client_for(world, role), reverse(url_name), **{"from": PAYLOADS[payload_id]})
    assert response.context["page"].rows is not None


# --- the routing API: a hostile called number stays data ---------------------------------------------

@pytest.mark.parametrize("payload_id", IDS)
def test_routing_lookup_json_keeps_a_hostile_number_as_data(world, payload_id):
    value = PAYLOADS[payload_id]
    for number in (value, f"sip:{value}@carrier.example", f"<tel:{value}>"):
        response = client_for(world, ANON).get(reverse("routing:lookup"), {"number": number},
                                HTTP_AUTHORIZATION=f"Bearer {world.token}")
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        answer = json.loads(response.content)
        assert answer["allow"] is False and answer["reason"] in ("invalid_number", "unknown_number")
        assert answer["number"] is None or answer["number"].startswith("+") and answer["number"][1:].isdigit()
        assert answer["destination"] is None
        assert b"<script" not in response.content and b"<img" not in response.content


@pytest.mark.parametrize("payload_id", IDS)
def test_freeswitch_dialplan_keeps_a_hostile_number_as_data(world, payload_id):
    value = PAYLOADS[payload_id]
    basic = b64encode(f"fs:{world.token}".encode()).decode()
    response = client_for(world, ANON).post(reverse("routing:freeswitch"), {"Caller-Destination-Number": value,
                                                             "Caller-Context": "public", "section": "dialplan"},
                             HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200
    document = ElementTree.fromstring(response.content)  # well-formed: nothing was spliced into the XML
    actions = [(a.get("application"), a.get("data")) for a in document.iter("action")]
    assert actions[0][0] == "set" and actions[0][1] in ("did_portal_reason=invalid_number",
                                                         "did_portal_reason=unknown_number")
    assert [a for a, _ in actions] == ["set", "respond", "hangup"]
    assert b"<script" not in response.content and b"<img" not in response.content


def test_the_payload_list_is_complete():
    """The cases above are parametrized over every payload the issue names."""
    assert {SCRIPT, IMG} <= set(PAYLOADS.values())
    assert {"script", "img", "sql_or", "sql_drop", "shell_sleep", "shell_subst", "template_var", "template_tag",
            "js_url", "long", "nul", "rtl", "csv_formula"} == set(IDS)
