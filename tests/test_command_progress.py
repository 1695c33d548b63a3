"""The long commands' progress bar (issue 17, part 6): import_dids, rate_cdrs, run_billing and
check_ledger draw done / total, rate and time left on a terminal's stderr; nothing without a
terminal (cron, pipes) or under --no-progress; their report on stdout is the same either way."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from calls.models import Call
from core import progress as progress_module
from dids.models import DID
from tests.calls.conftest import after_purchase, held  # noqa: F401 (a fixture)
from tests.factories import DIDFactory, make_account_user

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")


@pytest.fixture
def watched(monkeypatch):
    """Each step of the work reported and drawn, one second apart: the rate and time left show."""
    seconds = iter(range(10_000))
    monkeypatch.setattr(progress_module, "monotonic", lambda: float(next(seconds)))
    monkeypatch.setattr(progress_module, "EVERY", 1)


def _import_dids(tmp_path, request):
    path = tmp_path / "dids.csv"
    path.write_text("DID,MonthlyFee\n" + "".join(f"1855580180{i},5\n" for i in range(4)))
    return ["import_dids", str(path), "--yes"], "rows", 4, lambda out: DID.objects.count() == 4 and "created: 4" in out


def _rate_cdrs(tmp_path, request):
    did, _ = request.getfixturevalue("held")
    path = tmp_path / "cdr.csv"
    path.write_text("Call ID,Start,DID,Answered Seconds\n" + "".join(
        f"c{i},{after_purchase(1):%Y-%m-%d %H:%M:%S},{did.digits},47\n" for i in range(3)))
    return ["rate_cdrs", str(path)], "rows", 3, lambda out: Call.objects.count() == 3 and "Rows read: 3" in out


def _run_billing(tmp_path, request):
    bought = timezone.make_aware(timezone.datetime(2026, 1, 1, 12, 0))
    reseller = make_account_user(Account.Kind.RESELLER).account
    add_funds(account_id=reseller.pk, amount=Decimal("100"))
    for i in range(3):
        did = DIDFactory(monthly_fee="10", billing_days=30, billing_type=DID.BillingType.RECURRING)
        purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key=f"k{i}", now=bought)
    due = (bought + timedelta(days=30)).isoformat()
    return ["run_billing", "--now", due, "--batch-size", "1"], "DIDs", 3, lambda out: "renewed 3 periods (30.0000" in out


def _check_ledger(tmp_path, request):
    for amount in ("1", "2", "3"):
        account = make_account_user(Account.Kind.RESELLER).account
        add_funds(account_id=account.pk, amount=Decimal(amount))
    return ["check_ledger"], "accounts", 3, lambda out: "Ledger OK: 3 accounts checked" in out


COMMANDS = {"import_dids": _import_dids, "rate_cdrs": _rate_cdrs, "run_billing": _run_billing,
            "check_ledger": _check_ledger}


def run(argv, stderr) -> str:
    stdout = io.StringIO()
    call_command(*argv, stdout=stdout, stderr=stderr)
    return stdout.getvalue()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_terminal_shows_done_of_total_rate_and_time_left(db, tmp_path, request, watched, command):
    argv, unit, total, done = COMMANDS[command](tmp_path, request)
    stderr = Terminal()
    out = run(argv, stderr)
    assert done(out)
    drawn = stderr.getvalue()
    # Part way: "1/3 DIDs  1/s  0:00:02 left"; at the end: "3/3 DIDs ... done in"; the last line ended.
    assert re.search(rf"\] +\d+% +[1-9]/{total} {unit} +[\d,.]+/s +\d:\d\d:\d\d left", drawn), drawn
    assert re.search(rf"100% +{total}/{total} {unit} .*done in \d:\d\d:\d\d", drawn), drawn
    assert drawn.endswith("\n") and "\x1b[" not in drawn  # not coloured as an error
    assert "\r" not in out  # the report stays on stdout, the bar off it


@pytest.mark.parametrize("command", COMMANDS)
def test_no_progress_draws_nothing_on_a_terminal(db, tmp_path, request, watched, command):
    argv, _, _, done = COMMANDS[command](tmp_path, request)
    stderr = Terminal()
    out = run([*argv, "--no-progress"], stderr)
    assert done(out)
    assert stderr.getvalue() == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_nothing_is_drawn_without_a_terminal(db, tmp_path, request, watched, command):
    argv, _, _, done = COMMANDS[command](tmp_path, request)
    stderr = io.StringIO()  # cron, a pipe, a log file
    out = run(argv, stderr)
    assert done(out)
    assert stderr.getvalue() == ""


def test_import_dids_shows_each_stage_on_its_own_line(db, tmp_path, watched):
    path = tmp_path / "dids.csv"
    path.write_text("DID,MonthlyFee\n" + "".join(f"1855580180{i},5\n" for i in range(4)))
    stderr = Terminal()
    with pytest.raises(CommandError, match="--yes"):  # no terminal on stdin to ask on: the preview, then this
        run(["import_dids", str(path)], stderr)
    lines = stderr.getvalue().split("\n")
    assert lines[0].split("\r")[-1].startswith("Checking") and "4/4 rows" in lines[0]


def test_rate_cdrs_reads_then_charges(held, tmp_path, watched):  # noqa: F811
    did, _ = held
    path = tmp_path / "cdr.csv"
    path.write_text("Call ID,Start,DID,Answered Seconds\n" + "".join(
        f"c{i},{after_purchase(1):%Y-%m-%d %H:%M:%S},{did.digits},47\n" for i in range(3)))
    stderr = Terminal()
    run(["rate_cdrs", str(path)], stderr)
    stages = [line.split("\r")[-1].split()[0] for line in stderr.getvalue().strip().split("\n")]
    assert stages == ["Reading", "Charging"]


def test_check_ledger_checks_balances_then_chains(db, tmp_path, watched):
    account = make_account_user(Account.Kind.RESELLER).account
    add_funds(account_id=account.pk, amount=Decimal("5"))
    stderr = Terminal()
    run(["check_ledger"], stderr)
    stages = [line.split("\r")[-1].split()[0] for line in stderr.getvalue().strip().split("\n")]
    assert stages == ["Balances", "Chains"]
