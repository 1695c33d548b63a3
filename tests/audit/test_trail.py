"""Every kind of change writes its audit rows: exactly one per change (one per DID for the
DID list's bulk actions, one per import, undo and CDR import), with who, from where
(UI and address, or command) and before/after; nothing when nothing changed."""

import csv
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from audit import context
from audit.models import AuditEntry
from billing.ledger.funds import add_funds
from billing.models import Subscription
from billing.subscriptions.purchase import purchase_did
from billing.prices.rate_book import set_sell_rates
from dids.rating import Rates
from billing.subscriptions.renewals import run_billing
from core.money import money
from billing.prices.bulk import bulk_set_prices
from dids.importing.csv_file import import_csv
from dids.models import DID, DIDImport, Provider
from tests.audit.helpers import IP, assert_command, assert_ui, only, rows
from tests.factories import DIDFactory, make_account_user

D = Decimal
T0 = timezone.make_aware(timezone.datetime(2026, 1, 1, 12, 0))

SEED = {
    "category": "DID", "number": "18555801802", "country": "HK", "buy_cost": "5", "city": "Ahmedabad",
    "province": "Gujarat", "status": "active", "connection_cost": "5", "grace_time": "6", "cost_per_min": "1",
    "initial_increment": "6", "increment": "6", "setup_fee": "5", "monthly_fee": "20", "call_timeout": "30",
    "billing_type": "one_time", "billing_days": "28", "concurrent_calls": "25",
}


@pytest.fixture
def seed_data(default_provider):
    return {**SEED, "provider": str(default_provider.pk)}


def funded(amount="100", kind=Account.Kind.RESELLER, parent=None):
    user = make_account_user(kind, parent=parent)
    add_funds(account_id=user.account_id, amount=D(amount))
    return user


def buy(account, did, now=None, **sell):
    return purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=f"k{account.pk}-{did.pk}-{now}", now=now,
                        **sell).subscription


# --- DIDs and providers ----------------------------------------------------------


def test_a_did_created_changed_and_deleted_in_the_pages(admin_client, admin_user, seed_data):
    assert admin_client.post(reverse("dids:create"), seed_data).status_code == 302
    did = DID.objects.get()
    created = only("did.created")
    assert_ui(created, admin_user)
    assert (created.did_id, created.did_number, created.account_id) == (did.pk, "+18555801802", None)
    assert created.changes["monthly_fee"] == [None, "20.0000"] and created.changes["number"] == [None, "+18555801802"]
    assert "city" in created.changes and "province" in created.changes

    url = reverse("dids:edit", args=[did.pk])
    admin_client.post(url, {**seed_data, "monthly_fee": "21.5", "city": "Surat"})
    updated = only("did.updated")
    assert_ui(updated, admin_user)
    assert updated.changes == {"city": ["Ahmedabad", "Surat"], "monthly_fee": ["20.0000", "21.5000"]}
    admin_client.post(url, {**seed_data, "monthly_fee": "21.5", "city": "Surat"})  # nothing changed: no row
    assert len(rows(action="did.updated")) == 1

    admin_client.post(reverse("dids:delete", args=[did.pk]))
    assert not DID.objects.exists()
    deleted = only("did.deleted")
    assert_ui(deleted, admin_user)
    assert (deleted.did_id, deleted.did_number) == (did.pk, "+18555801802")
    assert deleted.changes["number"] == ["+18555801802", None]
    # The deleted DID's rows are all still there, by its id and by its number.
    assert len(rows(did_id=did.pk)) == len(rows(did_number="+18555801802")) == 3


def test_a_refused_delete_leaves_no_row(admin_client, reseller_user):
    did = DIDFactory()
    add_funds(account_id=reseller_user.account_id, amount=D(100))
    buy(reseller_user.account, did)
    admin_client.post(reverse("dids:delete", args=[did.pk]))
    assert DID.objects.filter(pk=did.pk).exists() and rows(action="did.deleted") == []


def test_providers_created_and_deactivated(admin_client, admin_user):
    admin_client.post(reverse("dids:provider_create"), {"name": "Acme Telecom"})
    provider = Provider.objects.get(name="Acme Telecom")
    assert_ui(only("provider.created"), admin_user)
    # Created without "Active" ticked: the confirmation page offers Reactivate.
    admin_client.post(reverse("dids:provider_toggle", args=[provider.pk]), {"state": "active"})
    row = only("provider.updated")
    assert row.changes == {"is_active": [provider.is_active, not provider.is_active]}
    assert (row.object_type, row.object_id) == ("dids.provider", provider.pk)


# --- bulk actions: one row per changed DID, in SQL ------------------------------------


def bulk(client, action, ids, **fields):
    return client.post(reverse("dids:bulk"), {"action": action, "scope": "checked", "q": "",
                                              "ids": [str(i) for i in ids], "confirm": "1", **fields})


def test_bulk_status_writes_one_row_per_changed_did(admin_client, admin_user):
    a, b = DIDFactory.create_batch(2)
    c = DIDFactory(status=DID.Status.INACTIVE)
    bulk(admin_client, "deactivate", [a.pk, b.pk, c.pk])
    found = rows(action="did.bulk_status")
    assert sorted(r.did_id for r in found) == sorted([a.pk, b.pk])  # c was already Inactive: no row
    for row in found:
        assert_ui(row, admin_user)
        assert row.changes == {"status": ["Active", "Inactive"]}
        assert row.summary == "Bulk change: status Active → Inactive"
        assert row.did_number == DID.objects.get(pk=row.did_id).number
    assert AuditEntry.objects.count() == 2


def test_bulk_provider_keeps_both_names(admin_client, default_provider):
    acme = Provider.objects.create(name="Acme", number="1234567890")
    a = DIDFactory()
    bulk(admin_client, "provider", [a.pk], provider=acme.pk)
    assert only("did.bulk_provider", did_id=a.pk).changes == {"provider": ["default provider", "Acme"]}


def test_bulk_prices_list_only_what_changed_for_each_did(admin_user):
    a = DIDFactory(setup_fee=money(1), monthly_fee=money(20), increment=60)
    b = DIDFactory(setup_fee=money(2), monthly_fee=money(20), increment=6)
    with context.using(source=context.UI, ip=IP, actor=admin_user):
        bulk_set_prices(dids=DID.objects.all(), changes={"setup_fee": D("2"), "increment": 6}, by=admin_user)
    assert only("did.bulk_prices", did_id=a.pk).changes == {"setup_fee": ["1.0000", "2.0000"], "increment": ["60", "6"]}
    assert rows(did_id=b.pk) == []  # already at those values


def test_bulk_delete_keeps_a_row_for_each_deleted_did(admin_client, admin_user):
    a, b = DIDFactory.create_batch(2)
    bulk(admin_client, "delete", [a.pk, b.pk])
    assert not DID.objects.exists()
    found = rows(action="did.bulk_deleted")
    assert {(r.did_id, r.did_number) for r in found} == {(a.pk, a.number), (b.pk, b.number)}
    row = only("did.bulk_deleted", did_id=a.pk)
    assert_ui(row, admin_user)
    assert row.changes["number"] == [a.number, None] and row.changes["monthly_fee"] == ["20.0000", None]
    assert row.summary == f"DID {a.number} deleted (bulk delete of unsold DIDs)"  # E.164, written in SQL
    page = admin_client.get(reverse("audit:list"), {"action": "did.bulk_deleted"}).content.decode()
    assert f"DID {a.shown} deleted (bulk delete of unsold DIDs)" in page and a.number not in page  # shown formatted


# --- prices, rates, destinations -----------------------------------------------------


def test_operator_and_reseller_price_changes(admin_client, admin_user, client, reseller_user):
    did = DIDFactory(setup_fee=money(5), monthly_fee=money(20), buy_cost=money(5))
    admin_client.post(reverse("billing:edit_info", args=[did.pk]), {"sell_setup_fee": "6", "sell_price": "22"})
    row = only("price.changed")
    assert_ui(row, admin_user)
    assert (row.did_id, row.account_id) == (did.pk, None)
    assert row.changes == {"setup_fee": ["5.0000", "6.0000"], "price": ["20.0000", "22.0000"]}

    add_funds(account_id=reseller_user.account_id, amount=D(100))
    buy(reseller_user.account, did)
    client.defaults["REMOTE_ADDR"] = "198.51.100.2"
    client.force_login(reseller_user)
    client.post(reverse("billing:my_edit_info", args=[did.pk]), {"sell_setup_fee": "6", "sell_price": "30"})
    row = only("price.changed", account=reseller_user.account)
    assert_ui(row, reseller_user, ip="198.51.100.2")
    assert row.changes == {"price": ["22.0000", "30.0000"]}


def test_call_rates_change(reseller_user):
    did = DIDFactory()
    add_funds(account_id=reseller_user.account_id, amount=D(100))
    sub = buy(reseller_user.account, did)
    with context.using(source=context.UI, ip=IP, actor=reseller_user):
        set_sell_rates(did_id=did.pk, seller_id=reseller_user.account_id, by=reseller_user,
                       rates=Rates(D("0.5"), 0, D("1.5"), 60, 60))
    row = only("rates.changed")
    assert (row.account_id, row.object_type, row.object_id) == (reseller_user.account_id, "billing.subscription", sub.pk)
    assert row.changes["cost_per_min"][1] == "1.5000" and row.changes["connection_cost"][1] == "0.5000"


def test_destination_set_and_cleared(reseller_client, reseller_user):
    did = DIDFactory()
    add_funds(account_id=reseller_user.account_id, amount=D(100))
    buy(reseller_user.account, did)
    url = reverse("billing:destination", args=[did.pk])
    reseller_client.post(url, {"call_type": "sip_uri", "destination": "alice@pbx.example.com"})
    row = only("destination.set")
    assert_ui(row, reseller_user)
    assert row.changes == {"call_type": ["", "sip_uri"], "destination": ["", "sip:alice@pbx.example.com"]}
    reseller_client.post(url, {"clear": "1"})
    reseller_client.post(url, {"clear": "1"})  # nothing left to clear: no row
    assert [r.changes["destination"] for r in rows(action="destination.set")] == [
        ["", "sip:alice@pbx.example.com"], ["sip:alice@pbx.example.com", ""]]


# --- accounts and balances -------------------------------------------------------------


def test_accounts_created_changed_suspended_and_reactivated(admin_client, admin_user):
    admin_client.post(reverse("manage:create"), {
        "name": "Blue Reseller", "kind": "reseller", "parent": "", "status": "active", "username": "blue",
        "email": "blue@example.com", "password1": "Sunny-Kettle-42", "password2": "Sunny-Kettle-42",
        "credit_limit": "25.5"})
    account = Account.objects.get(name="Blue Reseller")
    created = only("account.created")
    assert_ui(created, admin_user)
    assert (created.account_id, created.account_number) == (account.pk, account.number)
    assert created.changes["credit_limit"] == [None, "25.5000"] and created.changes["username"] == [None, "blue"]
    assert "password1" not in str(created.changes) and "Sunny" not in str(created.changes)

    admin_client.post(reverse("manage:edit", args=[account.pk]),
                      {"name": "Blue Two", "email": "blue@example.com", "credit_limit": "30"})
    assert only("account.updated").changes == {"name": ["Blue Reseller", "Blue Two"],
                                               "credit_limit": ["25.5000", "30.0000"]}
    status = reverse("manage:status", args=[account.pk])
    admin_client.post(status, {"status": "suspended"})
    admin_client.post(status, {"status": "suspended"})  # already: no second row
    admin_client.post(status, {"status": "active"})
    assert only("account.suspended").changes == {"status": ["Active", "Suspended"]}
    assert only("account.reactivated").changes == {"status": ["Suspended", "Active"]}


def _form_data(client, account_id, form, prefix, **fields):
    key = client.get(reverse("billing:account", args=[account_id])).context[form]["idempotency_key"].value()
    return {f"{prefix}-idempotency_key": str(key), **{f"{prefix}-{k}": v for k, v in fields.items()}}


def test_funds_and_adjustments_once_per_submit(admin_client, admin_user, reseller_user):
    account_id = reseller_user.account_id
    data = _form_data(admin_client, account_id, "funds_form", "funds", amount="25", description="Wire 42")
    url = reverse("billing:add_funds", args=[account_id])
    admin_client.post(url, data)
    admin_client.post(url, data)  # a double submit posts nothing, so it records nothing
    row = only("balance.funds_added")
    assert_ui(row, admin_user)
    assert row.changes == {"balance": ["0.0000", "25.0000"]}
    assert (row.account_id, row.object_type) == (account_id, "billing.ledgerentry")
    assert "Wire 42" in row.summary

    data = _form_data(admin_client, account_id, "adjust_form", "adjust", amount="-5.5", reason="Goodwill back")
    admin_client.post(reverse("billing:adjust", args=[account_id]), data)
    assert only("balance.adjusted").changes == {"balance": ["25.0000", "19.5000"]}


# --- subscriptions ---------------------------------------------------------------------


def test_purchase_and_release_in_the_pages(reseller_client, reseller_user):
    did = DIDFactory(setup_fee=money(5), monthly_fee=money(20))
    add_funds(account_id=reseller_user.account_id, amount=D(100))
    initial = reseller_client.get(reverse("resellers:purchase", args=[did.pk])).context["form"].initial
    data = {k: initial[k] for k in ("purchase_key", "sell_setup_fee", "sell_price")}
    reseller_client.post(reverse("resellers:purchase", args=[did.pk]), data)
    reseller_client.post(reverse("resellers:purchase", args=[did.pk]), data)  # a double submit: charged once
    row = only("subscription.purchased")
    assert_ui(row, reseller_user)
    assert (row.did_id, row.account_id, row.object_type) == (did.pk, reseller_user.account_id, "billing.subscription")
    assert row.changes["balance"] == ["100.0000", "75.0000"] and row.changes["price"] == [None, "20.0000"]

    reseller_client.post(reverse("resellers:release"), {"did": did.pk, "confirm": "1"})
    row = only("subscription.released")
    assert_ui(row, reseller_user)
    assert row.changes["status"] == ["Active", "Ended"]


def test_a_refused_purchase_leaves_no_row(reseller_user):
    did = DIDFactory(setup_fee=money(5), monthly_fee=money(20))
    from billing.subscriptions.purchase import PurchaseRefused
    with pytest.raises(PurchaseRefused):
        purchase_did(buyer_id=reseller_user.account_id, did_id=did.pk, purchase_key="broke")
    assert rows() == []


def test_the_operators_release_writes_one_row_per_level(admin_client, admin_user):
    did = DIDFactory()
    reseller = funded().account
    customer = funded(kind=Account.Kind.CUSTOMER, parent=reseller).account
    buy(reseller, did)
    buy(customer, did)
    admin_client.post(reverse("admin_release", args=[did.pk]), {"confirm": "1"})
    released = rows(action="subscription.released")
    assert [r.account_id for r in released] == [customer.pk, reseller.pk]  # bottom first
    for row in released:
        assert_ui(row, admin_user)


def test_the_billing_run_records_state_changes_but_not_plain_renewals(db):
    did = DIDFactory(setup_fee=money(0), monthly_fee=money(10), billing_days=30,
                     billing_type=DID.BillingType.RECURRING)
    other = DIDFactory(setup_fee=money(0), monthly_fee=money(10), billing_days=30,
                       billing_type=DID.BillingType.RECURRING)
    rich, poor = funded("1000").account, funded("10").account
    buy(rich, other, now=T0)
    sub = buy(poor, did, now=T0)
    before = AuditEntry.objects.count()

    run_billing(now=T0 + timedelta(days=30))  # rich renews (no row), poor cannot pay: suspended
    assert AuditEntry.objects.count() == before + 1
    suspended = only("subscription.suspended")
    assert_command(suspended)
    assert (suspended.did_id, suspended.account_id, suspended.object_id) == (did.pk, poor.pk, sub.pk)
    assert suspended.changes["suspended"] == ["no", "yes"]

    add_funds(account_id=poor.pk, amount=D(10))
    call_command("run_billing", "--now", (T0 + timedelta(days=31)).isoformat())
    assert_command(only("subscription.reinstated"))

    run_billing(now=T0 + timedelta(days=60))  # short again: suspended, then released when the grace ends
    run_billing(now=T0 + timedelta(days=64))
    assert len(rows(action="subscription.suspended")) == 2
    released = only("subscription.released")
    assert_command(released)
    assert "grace period ended" in released.summary
    assert Subscription.objects.get(pk=sub.pk).status == "ended"


# --- imports and CDRs: one row each ----------------------------------------------------

FILE = b"DID,MonthlyFee (USD),City\n18555801802,5,Austin\n18555801803,-1,\n18555801804,2.5,\n"


def test_a_browser_import_and_its_undo(admin_client, admin_user, default_provider, settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    response = admin_client.post(reverse("dids:import"), {
        "file": SimpleUploadedFile("carrier.csv", FILE, "text/csv"), "provider": default_provider.pk})
    assert rows() == []  # the preview writes nothing
    admin_client.post(reverse("dids:import_confirm", args=[response.context["token"]]))
    imported = DIDImport.objects.get()
    row = only("dids.imported")
    assert_ui(row, admin_user)
    assert (row.object_type, row.object_id, row.did_id) == ("dids.didimport", imported.pk, None)
    assert row.changes == {"created": [None, 2], "duplicates": [None, 0], "invalid": [None, 1], "rows_read": [None, 3]}
    assert AuditEntry.objects.count() == 1  # not one per DID: the import lists its DIDs

    admin_client.post(reverse("dids:import_undo", args=[imported.pk]))
    undone = only("dids.import_undone")
    assert_ui(undone, admin_user)
    assert undone.changes == {"created": [2, 0]} and "2 DIDs deleted" in undone.summary


def test_the_import_command_is_recorded_as_a_command(default_provider, tmp_path):
    path = tmp_path / "dids.csv"
    path.write_bytes(FILE)
    with pytest.raises(CommandError) as rejected:  # FILE has a rejected row: exit code 2 since issue 14
        call_command("import_dids", str(path), "--yes")
    assert rejected.value.returncode == 2
    row = only("dids.imported")
    assert_command(row)
    assert row.changes["created"] == [None, 2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_background_writer_records_who_imported(default_provider, tmp_path, settings, admin_user):
    """Big files are written by a thread with its own connection: the row still says who and from where."""
    settings.DID_IMPORT_BACKGROUND_MB = 0
    path = tmp_path / "dids.csv"
    path.write_bytes(FILE)
    with context.using(source=context.UI, ip=IP, actor=admin_user):
        import_csv(path, default_provider=default_provider, write=True, by=admin_user)
    assert_ui(only("dids.imported"), admin_user)


def test_a_cdr_import_writes_one_row_with_its_totals(db, tmp_path):
    did = DIDFactory(setup_fee=money(0), monthly_fee=money(1), cost_per_min=money(D("0.60")),
                     connection_cost=money(0), grace_time=0, initial_increment=60, increment=60)
    holder = funded().account
    buy(holder, did, now=T0)
    path = tmp_path / "cdr.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["Call ID", "Start", "DID", "Answered Seconds"])
        for n in range(3):
            writer.writerow([f"c{n}", (T0 + timedelta(hours=n + 1)).strftime("%Y-%m-%d %H:%M:%S"), did.digits, "60"])
    before = AuditEntry.objects.count()
    call_command("rate_cdrs", str(path))
    assert AuditEntry.objects.count() == before + 1
    row = only("calls.charged")
    assert_command(row)
    assert row.changes["calls"] == [None, 3] and row.changes["total"] == [None, "1.8000"]
    assert row.object_type == "calls.callimport"
