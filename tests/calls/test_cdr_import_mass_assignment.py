"""Mass assignment on the CDR import's three forms (issue 14; tests/security/test_mass_assignment.py's
rule): hostile extra fields on the upload, Check again and Charge change nothing the forms do not own.
In a module of its own: the security world is built once per module."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from calls.models import Call
from tests.security.objects import ADMIN, RES_A, T0, client_for, diff, snapshot, world  # noqa: F401  (a fixture)
from tests.security.test_mass_assignment import hostile

pytestmark = pytest.mark.django_db


def test_upload_check_and_charge_take_only_their_own_fields(world):  # noqa: F811
    """Mass assignment: hostile extra fields on the three forms change nothing they do not own."""
    client = client_for(world, ADMIN)
    did = world.dids["A"]
    text = f"Call ID,Start,DID,Answered Seconds\nmass1,{T0 + timedelta(hours=1):%Y-%m-%d %H:%M:%S},{did.digits},61\n"
    before = snapshot()
    preview = client.post(reverse("calls:import"), {
        "file": SimpleUploadedFile("cdr.csv", text.encode(), "text/csv"), "file_format": "header", **hostile(world)})
    token = preview.context["token"]
    columns = {"column_0": "call_id", "column_1": "started_at", "column_2": "number", "column_3": "billsec"}
    assert "Charge 1 call" in client.post(reverse("calls:import_check", args=[token]),
                                          {**columns, **hostile(world)}).content.decode()
    assert not diff(before, snapshot())  # a preview writes nothing

    client.post(reverse("calls:import_confirm", args=[token]), hostile(world))

    changes = diff(before, snapshot())
    assert changes.counts == {"CallImport": 1, "Call": 1, "CallCharge": 1, "LedgerEntry": 1, "AuditEntry": 1}
    assert changes.changed == {"Account": {world.accounts[RES_A].pk: {"balance"}}} and not changes.added
    call = Call.objects.get(call_id="mass1")
    assert (call.did_id, call.billsec, call.charges.get().account_id) == (did.pk, 61, world.accounts[RES_A].pk)
