"""Calls, their charges and CDR imports are billing records: the references the database does
not check row by row (calls/models.py, REFERENCES) are checked for each import before it
commits, and on PostgreSQL the rows refuse to be changed or deleted, so no parent can go."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from calls.importing.pipeline import rate_cdr_file, verify_references
from calls.models import Call, CallCharge, CallImport
from tests.calls.conftest import after_purchase

MISSING = 999_999_999


def imported(held, tmp_path) -> CallImport:
    did, _ = held
    path = tmp_path / "cdr.csv"
    path.write_text(f"Call ID,Start,DID,Answered Seconds\nr1,{after_purchase(1):%Y-%m-%d %H:%M:%S},{did.digits},47\n")
    return rate_cdr_file(path, write=True).import_record


@pytest.mark.parametrize("broken, message", [
    ("account", "a charge's account"), ("seller", "a charge's account"), ("call", "a charge's call"),
    ("did", "a call's DID or CDR import"), ("import", "a call's DID or CDR import"),
])
def test_an_import_checks_every_reference_it_wrote(held, tmp_path, broken, message):
    did, reseller = held
    record = imported(held, tmp_path)
    call = Call.objects.get()
    verify_references(call.pk, call.pk)  # what the import wrote is whole: nothing raised
    first = last = call.pk
    if broken in ("account", "seller"):
        CallCharge.objects.create(call=call, level=9, amount=0, started_at=call.started_at,
                                  account_id=MISSING if broken == "account" else reseller.pk,
                                  seller_id=MISSING if broken == "seller" else None)
    elif broken == "call":
        last = call.pk + 1000
        CallCharge.objects.create(call_id=last, level=1, amount=0, started_at=call.started_at, account_id=reseller.pk)
    else:
        first = last = Call.objects.create(call_id="x", started_at=call.started_at, billsec=1,
                                           did_id=MISSING if broken == "did" else did.pk,
                                           import_batch_id=MISSING if broken == "import" else record.pk).pk
    with pytest.raises(IntegrityError, match=f"1 rows name {message} that does not exist; nothing was charged"):
        verify_references(first, last)


@pytest.mark.postgres
def test_calls_charges_and_imports_cannot_be_changed_or_deleted(held, tmp_path):
    record = imported(held, tmp_path)
    attempts = [
        lambda: Call.objects.update(billsec=1),
        lambda: Call.objects.all()._raw_delete(Call.objects.db),
        lambda: CallCharge.objects.update(amount=0),
        lambda: CallCharge.objects.all()._raw_delete(CallCharge.objects.db),
        lambda: CallImport.objects.filter(pk=record.pk)._raw_delete(CallImport.objects.db),
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError, match="are billing records: they are never changed or deleted"):
            with transaction.atomic():
                attempt()
    assert (Call.objects.get().billsec, CallCharge.objects.get().amount) == (47, Decimal("0.4700"))
    # An import's counts are set when it ends: an import may be updated, not deleted.
    assert CallImport.objects.filter(pk=record.pk).update(filename="renamed.csv") == 1
