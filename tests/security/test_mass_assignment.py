"""Mass assignment (issue 8): a valid form plus fields it does not have (balance, holder,
price, account, role, status, parent, credit limit, number, created_by, seq, amount, ...)
changes exactly what the form itself changes, nothing more.

Each test posts to the real page as the real role, then compares every row of the
mutable tables and the row counts of the append-only ones (tests/security/objects.py)
with an exact list of expected changes. Also here: posted references to another
tenant's objects (a DID to release, a "Sell to" buyer, a purchase key) are refused and
change nothing.
"""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.forms import SellCostForm
from billing.models import LedgerEntry, PriceOverride, Subscription
from calls.models import CallImport
from dids.models import DID, Provider
from routing.models import SwitchToken
from tests.security.objects import (  # noqa: F401, F811  (world is a fixture)
    ADMIN, CUST_A, CUST_B, PARENT, RES_A, RES_B, RESELLERS, SUB_A, client_for, diff, snapshot, world,
)

pytestmark = pytest.mark.django_db
D = Decimal


def hostile(world, *, keep=(), prefix=""):
    """Fields no form of the portal has (or has elsewhere), aimed at another tenant and at money."""
    victim, victim_user = world.accounts[RES_B], world.users[RES_B]
    victim_did = world.dids["B>custB"]
    victim_sub = Subscription.objects.get(did=victim_did, account=victim)
    values = {
        "balance": "999999.0000", "balance_0": "999999", "balance_1": "USD", "balance_after": "999999",
        "holder": victim.pk, "holder_id": victim.pk,
        "price": "0.0000", "setup_fee": "0.0000", "buy_cost": "0.0000", "monthly_fee": "0.0000",
        "account": victim.pk, "account_id": victim.pk, "seller": victim.pk, "seller_id": victim.pk,
        "buyer": victim.pk, "buyer_id": victim.pk, "for_account": victim.pk,
        "role": "admin", "is_staff": "on", "is_superuser": "on", "is_active": "on", "groups": "1",
        "user_permissions": "1", "user": victim_user.pk, "username": "hijacked", "password": "hijacked-pass",
        "status": "suspended", "kind": "reseller", "parent": victim.pk, "parent_id": victim.pk,
        "credit_limit": "999999.0000", "number": "+19995550000",
        "created_by": victim_user.pk, "created_by_id": victim_user.pk, "updated_by": victim_user.pk,
        "actor": victim_user.pk, "seq": "1", "amount": "999999.0000", "description": "hijacked",
        "did": victim_did.pk, "did_id": victim_did.pk, "subscription": victim_sub.pk, "subscription_id": victim_sub.pk,
        "id": victim_sub.pk, "pk": victim_sub.pk,
        "period_start": "2000-01-01", "period_end": "2099-12-31", "billing_days": "3650", "billing_type": "one_time",
        "grace_until": "2099-12-31", "suspended_at": "", "ended_at": "", "started_at": "2000-01-01",
        "import_batch": world.did_import.pk, "provider": world.providers["other"].pk, "revoked_at": "",
        "digest": "0" * 64, "prefix": "hijacked", "idempotency_key": "hijacked", "purchase_key": "hijacked",
        "sell_price": "0.0000", "sell_setup_fee": "0.0000", "call_type": "pstn", "destination": "+19995550001",
        "below_cost": "on",
    }
    values = {name: value for name, value in values.items() if name not in keep}
    if prefix:
        values.update({f"{prefix}-{name}": value for name, value in values.items()})
    return values


def form_data(response, name="form") -> dict:
    """What the browser would post back for the form a GET showed, unchanged."""
    data = {}
    for field in response.context[name]:
        value = field.value()
        if isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif value is not None:
            data[field.html_name] = value
    return data


def post(world, role, url, data):
    """(response, changes): the POST and every row it changed."""
    before = snapshot()
    response = client_for(world, role).post(url, data)
    return response, diff(before, snapshot())


def assert_changes(changes, *, changed=None, added=None, counts=None):
    """Exactly these changes: changed {model: {pk: {fields}}}, added {model: n}, counts {model: +n}.
    The audit trail's rows (audit app) are its own tests' business: not counted here. (A refused
    request is checked with ``not changes``, which counts them too.)"""
    counted = {model: n for model, n in changes.counts.items() if model != "AuditEntry"}
    got = (changes.changed, {m: len(rows) for m, rows in changes.added.items()}, changes.removed, counted)
    want = (changed or {}, added or {}, {}, counts or {})
    assert got == want, f"changed: {changes}\nexpected: changed={changed} added={added} counts={counts}"


def sub_of(world, role, key) -> Subscription:
    return Subscription.objects.get(did=world.dids[key], account=world.accounts[role], status="active")


# --- what a reseller or customer posts -------------------------------------------------------

@pytest.mark.parametrize("buyer, key", [(RES_A, "pool"), (SUB_A, "A"), (CUST_A, "A"), (CUST_B, "B")])
def test_purchase_charges_the_server_price_and_takes_only_the_sell_cost(world, buyer, key):
    did, account = world.dids[key], world.accounts[buyer]
    balance_before = account.balance.amount
    url = reverse("resellers:purchase", args=[did.pk])
    page = client_for(world, buyer).get(url)
    offer = page.context["price"]
    data = {**hostile(world, keep={"purchase_key", "sell_setup_fee", "sell_price"}),
            "purchase_key": page.context["form"].initial["purchase_key"],
            "sell_setup_fee": f"{offer.setup_fee + 1}", "sell_price": f"{offer.price + 2}"}

    response, changes = post(world, buyer, url, data)

    assert response.status_code == 302 and response["Location"] == reverse("resellers:dids")
    seller = world.accounts[PARENT[buyer]] if PARENT[buyer] else None
    total = offer.setup_fee + offer.price
    bought = Subscription.objects.get(did=did, account=account, status="active")
    assert (bought.setup_fee.amount, bought.price.amount) == (offer.setup_fee, offer.price)
    if account.is_reseller:
        assert (bought.sell_setup_fee.amount, bought.sell_price.amount) == (offer.setup_fee + 1, offer.price + 2)
    else:  # a customer sells to nobody: what it posts is ignored, its sell cost is what it pays
        assert (bought.sell_setup_fee.amount, bought.sell_price.amount) == (offer.setup_fee, offer.price)
    assert bought.parent == (Subscription.objects.get(did=did, account=seller, status="active") if seller else None)
    assert (bought.billing_days, bought.billing_type, bought.grace_until) == (did.billing_days, did.billing_type, None)
    entries = LedgerEntry.objects.filter(subscription=bought)
    assert sorted((e.account_id, e.amount.amount) for e in entries) == sorted(
        [(account.pk, -offer.setup_fee)] * bool(offer.setup_fee) + [(account.pk, -offer.price)]
        + ([(seller.pk, total)] if seller and total else []))
    balances = {account.pk: {"balance"}, **({seller.pk: {"balance"}} if seller and total else {})}
    assert_changes(changes, changed={"Account": balances, **({} if seller else {"DID": {did.pk: {"holder_id"}}})},
                   added={"Subscription": 1}, counts={"LedgerEntry": entries.count(), "DIDHistory": 1})
    assert Account.objects.get(pk=account.pk).balance.amount == balance_before - total


def _rates(**changes):
    rates = {"sell_connection_cost": "0.0000", "sell_grace_time": "0", "sell_cost_per_min": "0.2000",
             "sell_initial_increment": "60", "sell_increment": "60"}
    return {**rates, **changes}


@pytest.mark.parametrize("role, key", [(RES_A, "A>custA"), (RES_A, "A"), (SUB_A, "A>subA"), (RES_B, "B")])
def test_edit_info_changes_only_the_own_sell_cost_and_rates(world, role, key):
    url = reverse("billing:my_edit_info", args=[world.dids[key].pk])
    mine = sub_of(world, role, key)
    data = {**hostile(world, keep=set(SellCostForm.base_fields)), "sell_setup_fee": f"{mine.setup_fee.amount + 1}",
            "sell_price": f"{mine.price.amount + 1}", **_rates()}

    response, changes = post(world, role, url, data)

    assert response.status_code == 302 and response["Location"] == url
    rates = {"sell_connection_cost", "sell_grace_time", "sell_cost_per_min", "sell_initial_increment", "sell_increment"}
    assert_changes(changes, changed={"Subscription": {mine.pk: {"sell_setup_fee", "sell_price"} | rates}},
                   counts={"DIDHistory": 2})  # one row for the prices, one for the rates
    mine.refresh_from_db()
    assert (mine.sell_setup_fee.amount, mine.sell_price.amount) == (D(data["sell_setup_fee"]), D(data["sell_price"]))


def test_a_reseller_cannot_sell_below_its_buy_cost_even_posting_below_cost(world):
    url = reverse("billing:my_edit_info", args=[world.dids["A>custA"].pk])
    below = {"sell_setup_fee": "0.0000", "sell_price": "0.0000", "below_cost": "on"}
    response, changes = post(world, RES_A, url, below)
    assert response.status_code == 200 and response.context["form"].errors
    assert not changes, changes


def test_a_per_buyer_price_goes_only_to_the_sellers_own_buyer(world):
    mine = sub_of(world, RES_A, "A>custA")
    url = reverse("billing:my_edit_info", args=[world.dids["A>custA"].pk])
    data = {**hostile(world, keep=set(SellCostForm.base_fields)), "buyer": world.accounts[CUST_A].pk,
            "sell_setup_fee": "2.0000", "sell_price": "6.0000"}

    response, changes = post(world, RES_A, url, data)

    assert response.status_code == 302
    assert_changes(changes, added={"PriceOverride": 1}, counts={"DIDHistory": 1})
    override = PriceOverride.objects.get()
    assert (override.seller_subscription, override.buyer, override.did) == (mine, world.accounts[CUST_A],
                                                                             world.dids["A>custA"])
    assert (override.setup_fee.amount, override.price.amount) == (D("2"), D("6"))


@pytest.mark.parametrize("role, key, buyer", [
    (RES_A, "A>custA", CUST_B),  # another reseller's customer
    (RES_A, "A>custA", RES_B),  # another reseller
    (SUB_A, "A>subA", CUST_A),  # its seller's customer, not its own
    (RES_B, "B", CUST_A),
])
def test_a_sell_cost_for_someone_elses_buyer_is_404(world, role, key, buyer):
    url = reverse("billing:my_edit_info", args=[world.dids[key].pk])
    data = {"buyer": world.accounts[buyer].pk, "sell_setup_fee": "9.0000", "sell_price": "9.0000"}
    for extra in ({}, {"remove_override": "1"}):
        response, changes = post(world, role, url, {**data, **extra})
        assert response.status_code == 404 and not changes, (extra, changes)
    assert client_for(world, role).get(url, {"buyer": world.accounts[buyer].pk}).status_code == 404


def test_a_customer_cannot_post_a_sell_cost(world):
    url = reverse("billing:my_edit_info", args=[world.dids["A>custA"].pk])
    response, changes = post(world, CUST_A, url, {"sell_setup_fee": "9.0000", "sell_price": "9.0000", **_rates()})
    assert response.status_code == 404 and not changes, changes


@pytest.mark.parametrize("role, key", [(CUST_A, "A>custA"), (SUB_A, "A>subA"), (RES_B, "B"), (CUST_B, "B>custB")])
def test_destination_changes_only_the_holders_route(world, role, key):
    url = reverse("billing:destination", args=[world.dids[key].pk])
    mine = sub_of(world, role, key)
    data = {**hostile(world, keep={"call_type", "destination"}), "call_type": "sip_uri",
            "destination": "sip:bob@pbx.example.com"}

    response, changes = post(world, role, url, data)

    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.call_type, mine.destination) == ("sip_uri", "sip:bob@pbx.example.com")
    fields = {"destination"} if role == CUST_A else {"call_type", "destination"}  # custA had a SIP URI already
    assert_changes(changes, changed={"Subscription": {mine.pk: fields}}, counts={"DIDHistory": 1})


def test_a_reseller_cannot_route_a_did_it_sold_on(world):
    url = reverse("billing:destination", args=[world.dids["A>custA"].pk])
    response, changes = post(world, RES_A, url, {"call_type": "sip_uri", "destination": "sip:eve@evil.example.com"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not changes, changes


@pytest.mark.parametrize("role, key", [(CUST_A, "A>custA"), (SUB_A, "A>subA"), (RES_B, "B")])
def test_release_ends_only_the_holders_subscription_and_refunds_nothing(world, role, key):
    mine = sub_of(world, role, key)
    did = world.dids[key]
    data = {**hostile(world, keep={"did"}), "did": did.pk, "confirm": "1", "refund": "on"}

    response, changes = post(world, role, reverse("resellers:release"), data)

    assert response.status_code == 302
    top = not PARENT[role]
    assert_changes(changes, changed={"Subscription": {mine.pk: {"status", "ended_at"}},
                                     **({"DID": {did.pk: {"holder_id"}}} if top else {})},
                   counts={"LedgerEntry": 1, "DIDHistory": 1})
    release = LedgerEntry.objects.get(subscription=mine, kind="release")
    assert (release.account, release.amount.amount) == (world.accounts[role], D("0"))


@pytest.mark.parametrize("role, dids", [
    (RES_A, ["B"]),  # another reseller's DID
    (RES_A, ["A", "B>custB"]),  # its own beside someone else's: all refused
    (CUST_A, ["A"]),  # its seller's DID
    (SUB_A, ["A>custA"]),  # a sibling's DID
    (CUST_B, ["pool"]),  # nobody's
])
def test_releasing_someone_elses_did_is_404_and_changes_nothing(world, role, dids):
    data = {"did": [world.dids[key].pk for key in dids]}
    for confirm in ({}, {"confirm": "1"}):
        response, changes = post(world, role, reverse("resellers:release"), {**data, **confirm})
        assert response.status_code == 404 and not changes, (confirm, changes)


def test_a_purchase_key_works_only_for_its_buyer_and_its_did(world):
    pool = world.dids["pool"]
    page = client_for(world, RES_A).get(reverse("resellers:purchase", args=[pool.pk]))
    key = page.context["form"].initial["purchase_key"]
    data = {"purchase_key": key, "sell_setup_fee": "9.0000", "sell_price": "9.0000"}
    # Reseller B posts A's key for the same DID; A posts it for another DID (the inactive one, B's, a held one).
    attempts = [(RES_B, pool)] + [(RES_A, world.dids[k]) for k in ("inactive", "B", "A>custA")]
    for role, did in attempts:
        response, changes = post(world, role, reverse("resellers:purchase", args=[did.pk]), data)
        assert response.status_code == 404 and not changes, (role, did, changes)


# --- what the admin posts ---------------------------------------------------------------------

def test_admin_did_create_sets_no_holder_no_import(world):
    page = client_for(world, ADMIN).get(reverse("dids:create"))
    fields = form_data(page)
    data = {**hostile(world, keep=set(fields) | {"number", "monthly_fee"}), **fields,
            "number": "+1 415 555 0199", "monthly_fee": "3.0000"}

    response, changes = post(world, ADMIN, reverse("dids:create"), data)

    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    assert_changes(changes, added={"DID": 1})
    did = DID.objects.get(number="+14155550199")
    assert (did.holder, did.import_batch, did.provider) == (None, None, world.providers["default"])


def test_admin_did_edit_keeps_the_holder(world):
    did = world.dids["A>custA"]
    url = reverse("dids:edit", args=[did.pk])
    fields = form_data(client_for(world, ADMIN).get(url))
    data = {**hostile(world, keep=set(fields)), **fields, "city": "Gotham"}

    response, changes = post(world, ADMIN, url, data)

    assert response.status_code == 302
    assert_changes(changes, changed={"DID": {did.pk: {"city", "updated_at"}}})
    did = DID.objects.get(pk=did.pk)  # (never refresh the world's own objects: other tests read them)
    assert (did.holder, did.import_batch) == (world.accounts[RES_A], None)


def test_admin_account_create_makes_a_plain_account_and_login(world):
    fields = {"name": "New Customer", "kind": "customer", "parent": world.accounts[RES_A].pk, "status": "active",
              "username": "new-customer", "email": "new@example.com", "password1": "Plenty-long-pass-2026",
              "password2": "Plenty-long-pass-2026", "credit_limit": "10.0000"}
    data = {**hostile(world, keep=set(fields)), **fields}

    response, changes = post(world, ADMIN, reverse("manage:create"), data)

    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    assert_changes(changes, added={"Account": 1, "User": 1})
    account = changes.added["Account"][0]
    user = changes.added["User"][0]
    assert (account["balance"], account["credit_limit"], account["parent_id"], account["kind"]) == (
        D("0"), D("10"), world.accounts[RES_A].pk, "customer")
    assert account["number"] != data["number"]
    assert (user["is_staff"], user["is_superuser"], user["username"], user["account_id"]) == (
        False, False, "new-customer", account["id"])


def test_admin_account_edit_changes_only_name_email_and_credit_limit(world):
    account = world.accounts[RES_A]
    fields = {"name": "Renamed", "email": "renamed@example.com", "credit_limit": "25.0000"}
    data = {**hostile(world, keep=set(fields)), **fields}

    response, changes = post(world, ADMIN, reverse("manage:edit", args=[account.pk]), data)

    assert response.status_code == 302
    assert_changes(changes, changed={"Account": {account.pk: {"name", "email", "credit_limit"}},
                                     "User": {world.users[RES_A].pk: {"email"}}})


def test_admin_account_status_changes_only_the_status(world):
    account = world.accounts[CUST_B]
    data = {**hostile(world, keep={"status"}), "status": "suspended"}
    response, changes = post(world, ADMIN, reverse("manage:status", args=[account.pk]), data)
    assert response.status_code == 302
    assert_changes(changes, changed={"Account": {account.pk: {"status"}}})


@pytest.mark.parametrize("url_name, prefix, fields, kind", [
    ("billing:add_funds", "funds", {"amount": "10.0000", "description": "Refill"}, "funds_added"),
    ("billing:adjust", "adjust", {"amount": "-3.5000", "reason": "Correction"}, "adjustment"),
])
def test_admin_money_forms_post_one_entry_on_the_page_account(world, url_name, prefix, fields, kind):
    account = world.accounts[CUST_A]
    posted = {f"{prefix}-{name}": value for name, value in fields.items()}
    posted[f"{prefix}-idempotency_key"] = str(uuid.uuid4())
    data = {**hostile(world, keep=set(fields) | {"idempotency_key"}, prefix=prefix), **posted}

    response, changes = post(world, ADMIN, reverse(url_name, args=[account.pk]), data)

    assert response.status_code == 302
    assert_changes(changes, changed={"Account": {account.pk: {"balance"}}}, counts={"LedgerEntry": 1})
    entry = LedgerEntry.objects.order_by("-pk").first()
    assert (entry.account, entry.amount.amount, entry.kind, entry.created_by, entry.did, entry.subscription) == (
        account, D(fields["amount"]), kind, world.users[ADMIN], None, None)
    assert entry.idempotency_key.endswith(posted[f"{prefix}-idempotency_key"])


def test_admin_provider_forms_change_only_name_and_active(world):
    data = {**hostile(world, keep={"name", "is_active"}), "name": "Brand New Carrier", "is_active": "on"}
    response, changes = post(world, ADMIN, reverse("dids:provider_create"), data)
    assert response.status_code == 302
    assert_changes(changes, added={"Provider": 1})
    assert Provider.objects.get(name="Brand New Carrier").number != data["number"]

    provider = world.providers["other"]
    data = {**hostile(world, keep={"name", "is_active"}), "name": "Renamed Carrier", "is_active": "on"}
    response, changes = post(world, ADMIN, reverse("dids:provider_edit", args=[provider.pk]), data)
    assert response.status_code == 302
    assert_changes(changes, changed={"Provider": {provider.pk: {"name", "is_active"}}})


def test_admin_switch_token_create_takes_only_the_name(world):
    data = {**hostile(world, keep={"name"}), "name": "fs9.example.net"}
    response, changes = post(world, ADMIN, reverse("routing:token_create"), data)
    assert response.status_code == 200 and "plain" in response.context
    assert_changes(changes, added={"SwitchToken": 1})
    token = SwitchToken.objects.get(name="fs9.example.net")
    assert (token.created_by, token.revoked_at) == (world.users[ADMIN], None)
    assert token.digest != data["digest"] and token.prefix == response.context["plain"][:8]


def test_admin_operator_sell_cost_changes_only_the_products_fees(world):
    did = world.dids["pool"]
    url = reverse("billing:edit_info", args=[did.pk])
    data = {**hostile(world, keep=set(SellCostForm.base_fields)), "sell_setup_fee": "0.5000", "sell_price": "6.0000"}
    response, changes = post(world, ADMIN, url, data)
    assert response.status_code == 302
    assert_changes(changes, changed={"DID": {did.pk: {"setup_fee", "monthly_fee", "updated_at"}}},
                   counts={"DIDHistory": 1})
    did = DID.objects.get(pk=did.pk)
    assert (did.holder, did.status, did.buy_cost.amount) == (None, "active", world.dids["pool"].buy_cost.amount)


def test_admin_holder_pages_refuse_a_buyer_or_holder_from_elsewhere(world):
    # A's Edit Info, "Sell to" reseller B's customer: not A's buyer.
    url = reverse("billing:holder_edit_info", args=[world.dids["A>custA"].pk, world.accounts[RES_A].pk])
    response, changes = post(world, ADMIN, url, {"buyer": world.accounts[CUST_B].pk, "sell_setup_fee": "1.0000",
                                                 "sell_price": "1.0000", "below_cost": "on"})
    assert response.status_code == 404 and not changes, changes
    # Reseller B's destination on a DID B does not hold.
    url = reverse("billing:holder_destination", args=[world.dids["A>custA"].pk, world.accounts[RES_B].pk])
    response, changes = post(world, ADMIN, url, {"call_type": "sip_uri", "destination": "sip:x@example.com"})
    assert response.status_code == 404 and not changes, changes


def test_admin_holder_destination_changes_only_that_holders_route(world):
    mine = sub_of(world, CUST_B, "B>custB")
    url = reverse("billing:holder_destination", args=[world.dids["B>custB"].pk, world.accounts[CUST_B].pk])
    data = {**hostile(world, keep={"call_type", "destination"}), "call_type": "pstn", "destination": "+14155550123"}
    response, changes = post(world, ADMIN, url, data)
    assert response.status_code == 302
    assert_changes(changes, changed={"Subscription": {mine.pk: {"call_type", "destination"}}},
                   counts={"DIDHistory": 1})


def test_the_world_has_what_the_tests_rely_on(world):
    """Guards the fixture: if a service changes, the matrix must not silently test less."""
    assert {key: sorted(Subscription.objects.filter(did=did, status="active").values_list("account__name", flat=True))
            for key, did in world.dids.items()} == {
        "pool": [], "inactive": [], "A": ["Security resellerA"],
        "A>custA": ["Security customerA", "Security resellerA"],
        "A>subA": ["Security resellerA", "Security subresellerA"],
        "B": ["Security resellerB"], "B>custB": ["Security customerB", "Security resellerB"]}
    assert CallImport.objects.get().charged == 2 and world.did_import.created == 1
    assert {role for role in RESELLERS} == {RES_A, RES_B, SUB_A}
