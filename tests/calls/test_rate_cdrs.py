"""CDR import and charging (issue 7, part 4): every level of the chain charged at
its rates, idempotent by call id, bad rows reported, all or nothing."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.purchase import purchase_did
from billing.subscriptions.release import release_did
from core.money import money
from calls.importing.files import errors_path
from calls.importing.pipeline import rate_cdr_file
from calls.models import Call, CallCharge, CallImport
from core.importing.reader import FileError
from tests.factories import DIDFactory, make_account_user
from tests.races import race

D = Decimal
T0 = timezone.make_aware(timezone.datetime(2026, 11, 1, 9, 0))
HEADER = ["Call ID", "Start", "DID", "Answered Seconds"]


def funded(kind, parent=None, amount="100"):
    account = make_account_user(kind, parent=parent).account
    add_funds(account_id=account.pk, amount=D(amount))
    return account


def buy(account, did, now=T0):
    return purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=f"k{account.pk}-{did.pk}-{now.timestamp()}",
                        now=now).subscription


def balance(account):
    return Account.objects.get(pk=account.pk).balance.amount


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def at(hours):
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def chain(db):
    """DESIGN.md's example rates on a DID held by reseller -> sub-reseller -> customer.
    The reseller sells calls at its own rates; the sub-reseller sets none (passes them on)."""
    did = DIDFactory(connection_cost=money(D("0.05")), grace_time=10, cost_per_min=money(D("0.60")),
                     initial_increment=30, increment=6, setup_fee=money(D("0")), monthly_fee=money(D("1")))
    reseller = funded(Account.Kind.RESELLER)
    sub_reseller = funded(Account.Kind.RESELLER, parent=reseller)
    customer = funded(Account.Kind.CUSTOMER, parent=sub_reseller)
    top = buy(reseller, did)
    Subscription.objects.filter(pk=top.pk).update(
        sell_connection_cost=money(D("0.06")), sell_grace_time=10, sell_cost_per_min=money(D("0.90")),
        sell_initial_increment=30, sell_increment=6)
    buy(sub_reseller, did)
    buy(customer, did)
    return did, reseller, sub_reseller, customer


def test_each_level_pays_its_rates_and_the_chain_sums(chain, tmp_path):
    did, reseller, sub_reseller, customer = chain
    before = [balance(a) for a in (reseller, sub_reseller, customer)]
    path = write_csv(tmp_path / "cdr.csv", [["c1", at(1), did.digits, "47"], ["c2", at(2), did.number, "15"]])

    report = rate_cdr_file(path, write=True)

    assert (report.charged, report.invalid, report.already_charged) == (2, 0, 0)
    # 47 s: 0.4700 at the DID's rates; at the reseller's: 0.06 + 0.90 x (30 + 12) / 60 = 0.6900.
    # 15 s: 0.3500 and 0.06 + 0.90 x 30 / 60 = 0.5100.
    charges = {(c.call.call_id, c.level): c.amount for c in CallCharge.objects.select_related("call")}
    assert charges == {("c1", 1): D("0.4700"), ("c1", 2): D("0.6900"), ("c1", 3): D("0.6900"),
                       ("c2", 1): D("0.3500"), ("c2", 2): D("0.5100"), ("c2", 3): D("0.5100")}
    assert report.total == D("0.8200")
    after = [balance(a) for a in (reseller, sub_reseller, customer)]
    moved = [a - b for a, b in zip(after, before)]
    assert moved == [D("0.3800"), D("0.0000"), D("-1.2000")]  # margin, pass-through, what the customer pays
    assert sum(moved) == -report.total  # what left the chain is what the operator earns
    lines = LedgerEntry.objects.filter(kind__in=["call_charges", "call_sales"])
    assert sorted((e.account_id, e.kind, e.amount.amount) for e in lines) == sorted([
        (reseller.pk, "call_charges", D("-0.8200")), (reseller.pk, "call_sales", D("1.2000")),
        (sub_reseller.pk, "call_charges", D("-1.2000")), (sub_reseller.pk, "call_sales", D("1.2000")),
        (customer.pk, "call_charges", D("-1.2000")),
    ])
    assert all(e.did_id == did.pk and "2 calls" in e.description for e in lines)


def test_reimporting_a_file_charges_nothing_twice(chain, tmp_path):
    did, reseller, sub_reseller, customer = chain
    path = write_csv(tmp_path / "cdr.csv", [["c1", at(1), did.digits, "47"], ["c2", at(2), did.digits, "60"]])
    rate_cdr_file(path, write=True)
    balances = [balance(a) for a in (reseller, sub_reseller, customer)]
    entries = LedgerEntry.objects.count()

    again = rate_cdr_file(path, write=True)
    write_csv(path, [["c1", at(1), did.digits, "47"], ["c3", at(3), did.digits, "8"]])
    more = rate_cdr_file(path, write=True)

    assert (again.charged, again.already_charged) == (0, 2)
    assert (more.charged, more.already_charged) == (1, 1)
    assert Call.objects.count() == 3 and CallCharge.objects.count() == 9
    # Only c3 moved money: 0.0500 at every level (inside the grace time: the connection cost only).
    assert [balance(a) for a in (reseller, sub_reseller, customer)] == [
        balances[0] + D("0.0100"), balances[1], balances[2] - D("0.0600")]
    assert LedgerEntry.objects.count() == entries + 5  # 3 levels charged, 2 sellers credited


def test_bad_rows_are_reported_with_their_line_and_reason(chain, tmp_path):
    did = chain[0]
    path = write_csv(tmp_path / "cdr.csv", [
        ["ok1", at(1), did.digits, "30"],
        ["", at(1), did.digits, "30"],
        ["bad-start", "yesterday", did.digits, "30"],
        ["bad-seconds", at(1), did.digits, "-3"],
        ["bad-number", at(1), "12", "30"],
        ["unknown", at(1), "14155550123", "30"],
        ["before-purchase", at(-5), did.digits, "30"],
        ["future", (timezone.now() + timedelta(days=2)).isoformat(), did.digits, "30"],
        ["ok1", at(1), did.digits, "30"],
    ])
    errors = tmp_path / "errors.csv"

    report = rate_cdr_file(path, write=True, errors_path=errors)

    # Issue 14: the second row of call "ok1" is another leg of a charged call, no longer rejected.
    assert (report.rows_read, report.charged, report.invalid, report.other_legs) == (9, 1, 7, 1)
    with errors.open() as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["Line", "Reason"] + HEADER
    reasons = {int(row[0]): row[1] for row in rows[1:]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert reasons[3].startswith("Call ID: empty")
    assert reasons[4].startswith("Start:") and reasons[5].startswith("Answered Seconds:")
    assert reasons[6].startswith("DID:") and "is not one of our DIDs" in reasons[7]
    assert "had no holder" in reasons[8] and "in the future" in reasons[9]
    assert [row[2:] for row in rows[1:]][3] == ["bad-number", at(1), "12", "30"]  # the row as it was
    assert list(Call.objects.values_list("call_id", flat=True)) == ["ok1"]


def test_the_import_is_recorded_and_its_errors_kept(chain, tmp_path, settings):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    did = chain[0]
    path = write_csv(tmp_path / "cdr.csv", [["x1", at(1), did.digits, "61"], ["x2", at(1), "14155550123", "5"]])
    # Issue 14: rejected rows make the command exit 2 (not 0), after the import is recorded.
    output = io.StringIO()
    with pytest.raises(CommandError) as exited:
        call_command("rate_cdrs", str(path), stdout=output)
    assert exited.value.returncode == 2 and "1 row rejected" in str(exited.value)
    out = output.getvalue()
    record = CallImport.objects.get()
    assert (record.rows_read, record.charged, record.invalid, record.source) == (2, 1, 1, "command")
    assert "calls charged: 1" in out and "rejected: 1" in out and "line 3:" in out
    assert "14155550123" in errors_path(record.pk).read_text()


def test_a_dry_run_writes_nothing(chain, tmp_path):
    did = chain[0]
    path = write_csv(tmp_path / "cdr.csv", [["d1", at(1), did.digits, "47"]])
    report = rate_cdr_file(path, write=False)
    assert (report.charged, report.total) == (1, D("0.4700"))
    assert not Call.objects.exists() and not CallImport.objects.exists()
    assert not LedgerEntry.objects.filter(kind="call_charges").exists()


def test_a_file_without_the_columns_is_refused_whole(db, tmp_path):
    path = write_csv(tmp_path / "cdr.csv", [["1", at(1), "18555801802"]], header=["Call ID", "Start", "DID"])
    with pytest.raises(FileError, match="missing: Answered Seconds"):
        rate_cdr_file(path, write=True)
    with pytest.raises(CommandError, match="missing: Answered Seconds"):
        call_command("rate_cdrs", str(path))
    assert not CallImport.objects.exists()


def test_switch_headers_and_epoch_times_are_understood(chain, tmp_path):
    did = chain[0]
    epoch = str(int((T0 + timedelta(hours=1)).timestamp()))
    path = write_csv(tmp_path / "cdr.csv", [["u1", epoch, did.digits, "47", "99"]],
                     header=["uuid", "start_epoch", "destination_number", "billsec", "duration"])
    report = rate_cdr_file(path, write=True)
    assert report.charged == 1 and report.ignored_columns == ["duration"]
    assert Call.objects.get().started_at == T0 + timedelta(hours=1)


def test_a_call_is_charged_to_whoever_held_the_did_when_it_came_in(db, tmp_path):
    did = DIDFactory(connection_cost=money(D("0.10")), cost_per_min=money(D("0")))
    first, second = funded(Account.Kind.RESELLER), funded(Account.Kind.RESELLER)
    buy(first, did)
    release_did(did_id=did.pk, account_id=first.pk, now=T0 + timedelta(hours=2))
    buy(second, did, now=T0 + timedelta(hours=3))
    path = write_csv(tmp_path / "cdr.csv", [["old", at(1), did.digits, "5"], ["new", at(4), did.digits, "5"]])
    rate_cdr_file(path, write=True)
    assert dict(CallCharge.objects.values_list("call__call_id", "account_id")) == {"old": first.pk, "new": second.pk}


def test_free_calls_are_kept_but_move_no_money(chain, tmp_path):
    did = chain[0]
    path = write_csv(tmp_path / "cdr.csv", [["z1", at(1), did.digits, "0"]])
    report = rate_cdr_file(path, write=True)
    assert report.charged == 1 and report.ledger_lines == 0
    assert set(CallCharge.objects.values_list("amount", flat=True)) == {D("0.0000")}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_charge_each_call_once(chain, tmp_path):
    did, reseller, sub_reseller, customer = chain
    rows = [[f"r{n}", at(1 + n / 100), did.digits, str(20 + n)] for n in range(200)]
    path = write_csv(tmp_path / "cdr.csv", rows)
    before = balance(customer)

    outcomes = race([lambda: rate_cdr_file(path, write=True), lambda: rate_cdr_file(path, write=True)])

    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert sorted(o.charged for o in outcomes) == [0, 200]
    assert Call.objects.count() == 200 and CallCharge.objects.count() == 600
    paid = sum(CallCharge.objects.filter(account=customer).values_list("amount", flat=True))
    assert balance(customer) == before - paid


def test_asterisk_cdr_columns_are_understood(chain, tmp_path):
    did = chain[0]
    path = write_csv(tmp_path / "Master.csv", [["1733.42", at(1), did.digits, "47"]],
                     header=["uniqueid", "start", "dst", "billsec"])
    assert rate_cdr_file(path, write=True).charged == 1
