"""core.prepared gives what Django gives (the same instances, values and rows) on both databases,
refuses querysets it cannot run faithfully, and core.locking's prepared locks keep the rules of
the locks they stand for."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.db.transaction import TransactionManagementError

from accounts.models import Account
from billing.models import LedgerEntry
from core import locking
from core.money import money
from core.prepared import Prepared, insert, update
from dids.models import DID, DIDHistory
from tests.factories import DIDFactory, make_account_user

D = Decimal


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_model_queryset_gives_the_instances_django_gives_with_other_values_each_call(db):
    dids = [DIDFactory(setup_fee=money(f"{i}.5"), monthly_fee=money("20")) for i in range(3)]
    by_number = Prepared(lambda low, high: DID.objects.filter(pk__gte=low, pk__lte=high).order_by("pk"), 2)
    for low, high in ((dids[0].pk, dids[1].pk), (dids[2].pk, dids[2].pk), (dids[2].pk + 1, dids[2].pk + 9)):
        expected = list(DID.objects.filter(pk__gte=low, pk__lte=high).order_by("pk"))
        found = by_number.all(low, high)
        assert [fields_of(d) for d in found] == [fields_of(d) for d in expected]
        assert all(not d._state.adding and d._state.db == "default" for d in found)
    assert by_number.first(dids[1].pk, dids[1].pk).setup_fee == money("1.5")
    assert by_number.first(0, 0) is None


def test_annotations_and_values_lists_come_back_converted(db):
    parent = make_account_user().account
    child = make_account_user(kind=Account.Kind.CUSTOMER, parent=parent).account
    annotated = Prepared(lambda pk: Account.objects.filter(pk=pk).annotate(
        parent_balance=Subquery(Account.objects.filter(pk=OuterRef("parent_id")).values("balance")[:1])))
    assert annotated.first(child.pk).parent_balance == D("0.0000")
    assert annotated.first(parent.pk).parent_balance is None
    pairs = Prepared(lambda pk: Account.objects.filter(pk=pk).values_list("pk", "credit_limit"))
    assert pairs.all(child.pk) == [(child.pk, D("0.0000"))]
    flat = Prepared(lambda pk: Account.objects.filter(parent_id=pk).order_by("pk").values_list("pk", flat=True))
    assert flat.all(parent.pk) == [child.pk]


def test_a_queryset_that_does_not_use_a_value_or_uses_a_marker_as_a_constant_is_refused(db):
    with pytest.raises(ValueError, match="value 1 .* is not a parameter"):
        Prepared(lambda pk, unused: DID.objects.filter(pk=pk), 2).all(1, 2)
    with pytest.raises(ValueError, match="equals a marker"):
        Prepared(lambda pk: DID.objects.filter(pk=pk, billing_days=1_987_650_000)).all(1)
    with pytest.raises(ValueError, match="depends on its values"):
        Prepared(lambda pk: DID.objects.filter(pk=pk) if pk % 3 == 0 else DID.objects.filter(pk=pk, status="active")
                 ).all(1)
    with pytest.raises(TypeError, match="select_related"):
        Prepared(lambda pk: DID.objects.select_related("provider").filter(pk=pk)).all(1)


def test_insert_writes_the_row_save_would_and_returns_its_keys(db):
    user = make_account_user()
    did = DIDFactory()
    made = DIDHistory.objects.create(did=did, account=user.account, action=DIDHistory.Action.PURCHASED,
                                     setup_fee=money("1"), price=money("2.5"), actor=user, description="by save")
    rows = insert([DIDHistory(did=did, account=user.account, action=DIDHistory.Action.PURCHASED,
                              setup_fee=money("1"), price=money("2.5"), actor=user, description=f"by insert {i}")
                   for i in range(2)])
    assert [r.pk for r in rows] == sorted(r.pk for r in rows) and rows[0].pk > made.pk
    assert all(not r._state.adding and r.at is not None for r in rows)  # auto_now_add, as save sets it
    columns = [f.attname for f in DIDHistory._meta.concrete_fields if f.attname not in ("id", "at", "description")]
    stored = list(DIDHistory.objects.order_by("pk").values(*columns))
    assert stored[1] == stored[2] == stored[0]
    with pytest.raises(ValueError, match="new instances"):
        insert([rows[0]])


def test_insert_reads_back_a_computed_column(db):
    account = make_account_user().account
    with transaction.atomic():
        entries = [LedgerEntry(account=account, kind=LedgerEntry.Kind.FUNDS_ADDED, amount=money(a),
                               balance_before=money(b), balance_after=money(b + a)) for b, a in ((0, 5), (5, 7))]
        insert(entries, computed={"seq": ("%s + %s", [[0, 1], [0, 2]])})
        account.balance = money(12)
        update([account], ["balance"])
    assert [e.seq for e in entries] == [1, 2] and entries[0].pk < entries[1].pk
    assert list(LedgerEntry.objects.filter(account=account).order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert Account.objects.get(pk=account.pk).balance == money(12)


def test_update_writes_the_fields_given_for_one_instance_or_several(db):
    accounts = [make_account_user().account for _ in range(3)]
    accounts[0].credit_limit, accounts[0].name = money("7.25"), "renamed"
    update(accounts[:1], ["credit_limit"])
    first = Account.objects.get(pk=accounts[0].pk)
    assert first.credit_limit == money("7.25") and first.name != "renamed"  # only the fields given
    for account in accounts[1:]:
        account.credit_limit = money("3")
    update(accounts[1:], ["credit_limit"])
    update([], ["credit_limit"])
    assert [a.credit_limit for a in Account.objects.filter(pk__in=[a.pk for a in accounts]).order_by("pk")] == [
        money("7.25"), money("3"), money("3")]


def test_prepared_locks_keep_the_order_and_refuse_to_run_outside_a_transaction(db):
    did = DIDFactory()
    account = make_account_user().account
    lock_did = locking.prepared_did_lock(lambda pk: DID.objects.filter(pk=pk))
    lock_accounts = locking.prepared_account_lock(lambda pk: Account.objects.filter(pk=pk))
    with transaction.atomic():
        assert lock_did(did.pk) == did
        assert lock_accounts(account.pk) == {account.pk: account}
        with pytest.raises(locking.LockOrderError, match="DIDs locked after accounts"):
            lock_did(did.pk)
    with transaction.atomic():  # a new transaction starts over
        assert lock_did(did.pk + 1000) is None


@pytest.mark.django_db(transaction=True)
def test_a_prepared_lock_outside_a_transaction_fails_as_select_for_update_does():
    did = DIDFactory()
    lock_did = locking.prepared_did_lock(lambda pk: DID.objects.filter(pk=pk))
    with transaction.atomic():
        lock_did(did.pk)  # compiled inside a transaction
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError, match="outside of a transaction"):
            lock_did(did.pk)
    else:  # SQLite: no row locks, nothing to refuse
        assert lock_did(did.pk) == did
