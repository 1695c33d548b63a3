"""The ledger: balance == sum(entries), kept by the code on every database and
by triggers on PostgreSQL even against code that goes around the service."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, transaction

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry
from core.money import money


def test_add_funds_writes_an_entry_and_moves_the_balance(reseller_user, admin_user):
    account_id = reseller_user.account_id
    entry = add_funds(account_id=account_id, amount=Decimal("100"), by=admin_user)
    add_funds(account_id=account_id, amount=Decimal("0.0001"), by=admin_user)
    account = Account.objects.get(pk=account_id)
    assert account.balance.amount == Decimal("100.0001") == ledger_sum(account_id)
    assert entry.seq == 1 and entry.balance_before.amount == 0 and entry.balance_after.amount == 100
    assert entry.created_by == admin_user and entry.kind == LedgerEntry.Kind.FUNDS_ADDED


def test_same_idempotency_key_cannot_post_twice(reseller_user):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("5"), idempotency_key="refill-1")
    with pytest.raises(IntegrityError):
        add_funds(account_id=reseller_user.account_id, amount=Decimal("5"), idempotency_key="refill-1")
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == 5


def test_refill_must_be_positive(reseller_user):
    with pytest.raises(ValueError):
        add_funds(account_id=reseller_user.account_id, amount=Decimal("-5"))


@pytest.mark.postgres
def test_entries_are_immutable_in_the_database(reseller_user):
    entry = add_funds(account_id=reseller_user.account_id, amount=Decimal("5"))
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(description="rewritten")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_balance_changed_behind_the_ledgers_back_is_refused_at_commit(reseller_user):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("5"))
    with pytest.raises(IntegrityError, match="differs from its ledger"):
        with transaction.atomic():
            Account.objects.filter(pk=reseller_user.account_id).update(balance=money(500))
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_entry_that_breaks_the_chain_is_refused(reseller_user):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("5"))
    with pytest.raises(IntegrityError, match="chain"):
        with transaction.atomic():
            LedgerEntry.objects.create(
                account_id=reseller_user.account_id, seq=2, kind="adjustment", amount=money(1),
                balance_before=money(99), balance_after=money(100),
            )
    assert LedgerEntry.objects.filter(account_id=reseller_user.account_id).count() == 1


def test_fractional_amounts_add_up_exactly_on_every_database(reseller_user):
    # Regression: a CHECK on balance_after = balance_before + amount compared floats on SQLite
    # and refused this valid refill.
    add_funds(account_id=reseller_user.account_id, amount=Decimal("10.1001"))
    entry = add_funds(account_id=reseller_user.account_id, amount=Decimal("0.2"))
    assert entry.balance_after.amount == Decimal("10.3001")


@pytest.mark.postgres
def test_the_database_checks_that_each_entry_adds_up(reseller_user):
    with pytest.raises(IntegrityError, match="ledger_balance_after_adds_up"), transaction.atomic():
        LedgerEntry.objects.create(
            account_id=reseller_user.account_id, seq=1, kind="adjustment", amount=money(1),
            balance_before=money(0), balance_after=money(2),
        )


@pytest.mark.postgres
def test_the_guard_triggers_are_planned_on_the_index(db):
    """Regression: planned while the ledger was nearly empty, the triggers' cached plans were
    sequential scans, and a CDR import of 50,000 calls posting 67,679 entries in one
    transaction took 314 s instead of 16 (migration billing 0009). A function re-created
    with CREATE OR REPLACE loses its SET clause: this notices."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, proconfig FROM pg_proc WHERE proname IN "
                       "('ledger_check_chain', 'account_check_balance') ORDER BY proname")
        assert cursor.fetchall() == [("account_check_balance", ["enable_seqscan=off"]),
                                     ("ledger_check_chain", ["enable_seqscan=off"])]
