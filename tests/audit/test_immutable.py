"""Audit entries cannot be changed or deleted: on PostgreSQL the database refuses it
(audit/migrations/0002), whatever the caller."""

import pytest
from django.db import IntegrityError, connection, transaction

from audit.models import AuditEntry
from audit.record import record
from tests.factories import DIDFactory

pytestmark = pytest.mark.postgres


@pytest.fixture
def entry(db):
    return record("did.updated", did=DIDFactory(), summary="Monthly fee changed",
                  changes={"monthly_fee": ("20.0000", "21.0000")})


def test_update_is_refused(entry):
    for attempt in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(summary="nothing happened"),
        lambda: (setattr(entry, "actor_name", "someone else"), entry.save()),
    ):
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            attempt()
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Monthly fee changed"


def test_delete_is_refused(entry):
    for attempt in (lambda: AuditEntry.objects.filter(pk=entry.pk).delete(), entry.delete):
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            attempt()
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_the_did_keeps_its_rows(entry):
    """No foreign key constraint and no cascade to a DID: deleting one never touches the trail."""
    did_id = entry.did_id
    from dids.models import DID
    DID.objects.filter(pk=did_id).delete()
    assert AuditEntry.objects.get(pk=entry.pk).did_id == did_id
