"""manage.py check_ledger: OK on a clean ledger, every mismatch reported and exit 1 otherwise.

Corrupting the books needs going around the database guards on PostgreSQL
(triggers refuse it); each test switches off only the trigger it needs and puts
it back, and leaves balance == sum(entries) true for the suite's after-test check.
"""

from contextlib import contextmanager
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line
from django.db import connection

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry
from core.money import money
from tests.factories import AccountFactory


def _alter_trigger(table: str, trigger: str, state: str) -> None:
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # Inside the test's transaction: run the pending deferred checks now
            # (PostgreSQL will not alter a table with pending trigger events).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} {state} TRIGGER {trigger}")
        if connection.in_atomic_block:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def trigger_off(table: str, trigger: str):
    """Disable one PostgreSQL trigger for the block (nothing to do on SQLite).
    In a test's transaction the change is rolled back with the test anyway."""
    if connection.vendor != "postgresql":
        yield
        return
    _alter_trigger(table, trigger, "DISABLE")
    try:
        yield
    finally:
        _alter_trigger(table, trigger, "ENABLE")


def run() -> str:
    out = StringIO()
    call_command("check_ledger", stdout=out)
    return out.getvalue()


def entry(account, seq, before, amount):
    return LedgerEntry.objects.create(
        account=account, seq=seq, kind=LedgerEntry.Kind.ADJUSTMENT, amount=money(amount),
        balance_before=money(before), balance_after=money(Decimal(before) + Decimal(amount)), description="forged",
    )


def test_clean_ledger_is_ok(reseller_user, customer_user, admin_user):
    AccountFactory()  # an account without entries: balance 0 == empty sum
    add_funds(account_id=reseller_user.account_id, amount=Decimal("10.0001"), by=admin_user)
    add_funds(account_id=reseller_user.account_id, amount=Decimal("0.25"), by=admin_user)
    add_funds(account_id=reseller_user.account_id, amount=Decimal("0.5"), by=admin_user)
    add_funds(account_id=customer_user.account_id, amount=Decimal("3"), by=admin_user)
    assert run().strip() == "Ledger OK: 3 accounts checked"


def test_empty_database_is_ok(db):
    assert run().strip() == "Ledger OK: 0 accounts checked"


@pytest.mark.django_db(transaction=True)
def test_balance_changed_behind_the_ledgers_back_fails(reseller_user, customer_user, admin_user, capsys):
    account_id = reseller_user.account_id
    add_funds(account_id=account_id, amount=Decimal("10"), by=admin_user)
    add_funds(account_id=customer_user.account_id, amount=Decimal("4"), by=admin_user)
    number = reseller_user.account.number
    with trigger_off("accounts_account", "account_balance_matches"):
        Account.objects.filter(pk=account_id).update(balance=money("500"))
        try:
            out = StringIO()
            with pytest.raises(CommandError, match="1 mismatch"):
                call_command("check_ledger", stdout=out)
            assert out.getvalue().strip() == f"Account {number}: balance 500.0000 but its ledger entries sum to 10.0000"
            # From the command line: the message and exit status 1.
            with pytest.raises(SystemExit) as exit_:
                execute_from_command_line(["manage.py", "check_ledger"])
            assert exit_.value.code == 1
            captured = capsys.readouterr()
            assert f"Account {number}: balance 500.0000" in captured.out
            assert "Ledger check failed" in captured.err
        finally:
            Account.objects.filter(pk=account_id).update(balance=money("10"))
    assert "Ledger OK" in run()


def test_a_gap_in_the_chain_fails(reseller_user, admin_user):
    account = reseller_user.account
    add_funds(account_id=account.pk, amount=Decimal("10"), by=admin_user)
    with trigger_off("billing_ledgerentry", "ledger_chain"):
        entry(account, 3, "10", "5")  # no entry 2
        Account.objects.filter(pk=account.pk).update(balance=money("15"))  # balance == sum still holds
    with pytest.raises(CommandError):
        run()
    with pytest.raises(CommandError) as exc:
        call_command("check_ledger", stdout=(out := StringIO()))
    assert out.getvalue().strip() == f"Account {account.number} entry #3: expected entry #2 here (the chain has a gap)"
    assert "1 mismatch" in str(exc.value)


def test_a_broken_link_and_a_bad_start_fail(reseller_user, customer_user):
    """Sums still match (the breaks cancel out); only the chain check finds them."""
    a, b = reseller_user.account, customer_user.account
    with trigger_off("billing_ledgerentry", "ledger_chain"):
        entry(a, 1, "0", "10")
        entry(a, 2, "12", "3")    # starts at 12, entry 1 ended at 10
        entry(a, 3, "13", "2")    # starts at 13, entry 2 ended at 15
        entry(b, 1, "2", "10")    # the chain starts at 0, not 2
        entry(b, 2, "10", "-4")   # starts at 10, entry 1 ended at 12
        Account.objects.filter(pk=a.pk).update(balance=money("15"))
        Account.objects.filter(pk=b.pk).update(balance=money("6"))
    out = StringIO()
    with pytest.raises(CommandError, match="4 mismatch"):
        call_command("check_ledger", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert sorted(lines) == sorted([
        f"Account {a.number} entry #2: starts at 12.0000 but entry #1 ends at 10.0000",
        f"Account {a.number} entry #3: starts at 13.0000 but entry #2 ends at 15.0000",
        f"Account {b.number} entry #1: starts at 2.0000 but the chain starts at 0.0000",
        f"Account {b.number} entry #2: starts at 10.0000 but entry #1 ends at 12.0000",
    ])


def test_uses_a_fixed_number_of_queries(reseller_user, admin_user, django_assert_max_num_queries):
    for _ in range(5):
        account = AccountFactory()
        for amount in ("1", "2", "3"):
            add_funds(account_id=account.pk, amount=Decimal(amount), by=admin_user)
    with django_assert_max_num_queries(3):
        assert "Ledger OK: 6 accounts checked" in run()
