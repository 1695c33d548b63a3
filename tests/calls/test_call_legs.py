"""Several rows of one call (issue 14, item 5): Asterisk writes a CDR per Dial attempt with
the same uniqueid. A call is charged once, on its longest row; the other rows are other
legs, not rejected. A call stored unanswered by one import and answered in a later file is
charged then, once: the database holds at most one answered row per call id."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.models import LedgerEntry
from calls.importing.pipeline import rate_cdr_file
from calls.models import Call, CallCharge, CallImport
from tests.calls.conftest import after_purchase, balance
from tests.calls.switch_files import master_csv_line

D = Decimal
UNIQUEID = "1764666202.42"


def master(path, *rows):
    path.write_text("".join(rows))
    return path


def attempt(did, billsec, *, uniqueid=UNIQUEID):
    return master_csv_line(dst=did.digits, start=after_purchase(1), billsec=billsec, uniqueid=uniqueid)


def charged_to(account):
    return sum(CallCharge.objects.filter(account=account).values_list("amount", flat=True), D(0))


def test_an_export_with_uniqueid_no_answer_then_answered_300_s_charges_300_s(held, tmp_path):
    """Issue 14: the answered row was rejected as a duplicate and the call charged 0."""
    did, reseller = held
    start = after_purchase(1)
    path = tmp_path / "cdr.csv"
    path.write_text("uniqueid,calldate,dst,disposition,billsec\n"
                    f"{UNIQUEID},{start:%Y-%m-%d %H:%M:%S},{did.digits},NO ANSWER,0\n"
                    f"{UNIQUEID},{start:%Y-%m-%d %H:%M:%S},{did.digits},ANSWERED,300\n")
    before = balance(reseller)

    report = rate_cdr_file(path, write=True)

    assert (report.charged, report.invalid, report.total) == (1, 0, D("2.9900"))
    assert balance(reseller) == before - D("2.9900")
    assert list(Call.objects.values_list("call_id", "billsec")) == [(UNIQUEID, 300)]


@pytest.mark.parametrize("order", ["no answer first", "answered first"])
def test_no_answer_then_answered_300_s_charges_300_s_once(held, tmp_path, order):
    """The same in Master.csv as Asterisk writes it, in either order."""
    did, reseller = held
    rows = [attempt(did, 0), attempt(did, 300)]
    if order == "answered first":
        rows.reverse()
    before = balance(reseller)

    report = rate_cdr_file(master(tmp_path / "Master.csv", *rows), write=True, file_format="asterisk")

    assert (report.charged, report.other_legs, report.invalid, report.total) == (1, 1, 0, D("2.9900"))
    assert list(Call.objects.values_list("call_id", "billsec")) == [(UNIQUEID, 300)]
    assert balance(reseller) == before - D("2.9900") and charged_to(reseller) == D("2.9900")
    assert CallImport.objects.get().other_legs == 1


def test_the_longest_of_several_answered_rows_is_the_call(held, tmp_path):
    did, _ = held
    report = rate_cdr_file(master(tmp_path / "Master.csv", attempt(did, 47), attempt(did, 0), attempt(did, 62),
                                  attempt(did, 30)), write=True, file_format="asterisk")
    assert (report.charged, report.other_legs, report.total) == (1, 3, D("0.5900"))
    assert Call.objects.get().billsec == 62


def test_rows_of_other_calls_between_them_change_nothing(held, tmp_path):
    did, _ = held
    rows = [attempt(did, 0, uniqueid="1764666202.1"), attempt(did, 47, uniqueid="1764666202.2"),
            attempt(did, 300, uniqueid="1764666202.1"), attempt(did, 0, uniqueid="1764666202.3")]
    report = rate_cdr_file(master(tmp_path / "Master.csv", *rows), write=True, file_format="asterisk")
    assert (report.charged, report.other_legs) == (3, 1)
    assert dict(Call.objects.values_list("call_id", "billsec")) == {
        "1764666202.1": 300, "1764666202.2": 47, "1764666202.3": 0}


def test_a_call_stored_unanswered_is_charged_when_it_arrives_answered_and_only_then(held, tmp_path):
    did, reseller = held
    start = balance(reseller)
    first = rate_cdr_file(master(tmp_path / "1.csv", attempt(did, 0)), write=True, file_format="asterisk")
    assert (first.charged, first.total, balance(reseller)) == (1, D("0.0000"), start)  # free: no money moves

    second = rate_cdr_file(master(tmp_path / "2.csv", attempt(did, 0), attempt(did, 300)), write=True,
                           file_format="asterisk")
    assert (second.charged, second.answered_later, second.other_legs, second.total) == (1, 1, 1, D("2.9900"))
    assert balance(reseller) == start - D("2.9900")

    entries = LedgerEntry.objects.count()
    third = rate_cdr_file(master(tmp_path / "3.csv", attempt(did, 300), attempt(did, 0), attempt(did, 120)),
                          write=True, file_format="asterisk")
    assert (third.charged, third.already_charged, third.other_legs, third.total) == (0, 1, 2, D("0.0000"))
    assert balance(reseller) == start - D("2.9900") and LedgerEntry.objects.count() == entries
    # The unanswered row the first file brought stays (free); the answered one is the charge.
    assert sorted(Call.objects.values_list("billsec", flat=True)) == [0, 300]
    assert charged_to(reseller) == D("2.9900")


def test_an_unanswered_row_after_the_call_was_charged_is_already_charged(held, tmp_path):
    did, _ = held
    rate_cdr_file(master(tmp_path / "1.csv", attempt(did, 47)), write=True, file_format="asterisk")
    again = rate_cdr_file(master(tmp_path / "2.csv", attempt(did, 0)), write=True, file_format="asterisk")
    assert (again.charged, again.already_charged) == (0, 1) and Call.objects.count() == 1


def test_the_database_holds_one_answered_and_one_unanswered_row_per_call_id(held):
    did, _ = held
    record = CallImport.objects.create(source="command")
    at = did.subscriptions.get().started_at

    def add(billsec):
        with transaction.atomic():
            Call.objects.create(call_id="c1", did=did, started_at=at, billsec=billsec, import_batch=record)

    add(0)
    add(47)
    for billsec in (0, 300):
        with pytest.raises(IntegrityError):
            add(billsec)
    assert Call.objects.count() == 2


def test_if_the_lookup_missed_a_charged_call_the_database_refuses_it_and_nothing_is_charged(held, tmp_path,
                                                                                             monkeypatch):
    """The constraint is the last word: with the "charged before" lookup broken, the second import
    fails whole (its COPY in the background thread raises in the import) instead of charging twice."""
    from calls.importing import pipeline

    did, reseller = held
    path = master(tmp_path / "Master.csv", attempt(did, 300), attempt(did, 62, uniqueid="1764666202.43"))
    rate_cdr_file(path, write=True, file_format="asterisk")
    before, calls, entries = balance(reseller), Call.objects.count(), LedgerEntry.objects.count()
    monkeypatch.setattr(pipeline, "_stored", lambda db, call_ids: {})

    with pytest.raises(IntegrityError):
        rate_cdr_file(path, write=True, file_format="asterisk")

    assert (balance(reseller), Call.objects.count(), LedgerEntry.objects.count()) == (before, calls, entries)
    assert CallImport.objects.count() == 1
