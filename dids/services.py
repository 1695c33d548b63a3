"""Writes to the DID catalogue and the provider list. Views stay thin and call these."""

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from audit.record import changed, record, snapshot
from core.locking import lock_did
from dids.models import DID, Provider


class CatalogueError(Exception):
    """A change the catalogue refuses; the message is shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def did_save(*, did: DID, by=None, locked: DID | None = None) -> DID:
    """Create or update a DID product. The unique constraint on the number is the
    last word when two admins save the same number at the same moment. (The pages save
    through billing.prices.book.save_product, which records a changed Setup Fee or
    MonthlyFee, the operator's default sell cost, as every price change is.)

    ``locked``: the row as stored, already locked FOR UPDATE by the caller in its transaction
    (save_product), so that it is not locked and read a second time."""
    try:
        with transaction.atomic():
            # FOR UPDATE, not NO KEY: the number (unique) may change.
            before = locked if locked is not None else (
                lock_did(DID.objects.filter(pk=did.pk), key_change=True) if did.pk else None)
            did.save()
            _audit_did(before, did, by)
    except IntegrityError as exc:
        if DID.objects.filter(number=did.number).exclude(pk=did.pk).exists():
            raise CatalogueError(f"DID {did.shown} already exists.", field="number") from exc
        raise
    return did


# What the audit trail compares on a DID (the Create Product form's fields).
AUDITED_FIELDS = ("number", "category", "provider", "country", "city", "province", "status", "buy_cost",
                  "setup_fee", "monthly_fee", "billing_type", "billing_days", "connection_cost", "cost_per_min",
                  "grace_time", "initial_increment", "increment", "call_timeout", "concurrent_calls")


def _audit_did(before: DID | None, after: DID, by) -> None:
    changes = changed(snapshot(before, AUDITED_FIELDS) if before else None, snapshot(after, AUDITED_FIELDS))
    if before is None:
        record("did.created", did=after, by=by, changes=changes, summary=f"DID {after.shown} created")
    elif changes:
        labels = ", ".join(str(DID._meta.get_field(name).verbose_name) for name in changes)
        record("did.updated", did=after, by=by, changes=changes, summary=f"DID {after.shown} changed: {labels}")


def did_delete(*, did_id: int, by=None) -> str:
    """Delete a DID nobody holds. Returns the deleted number. Its audit rows stay."""
    with transaction.atomic():
        did = lock_did(DID.objects.filter(pk=did_id), key_change=True)  # deleted: FOR UPDATE
        if did is None:
            raise DID.DoesNotExist(f"No DID {did_id}.")
        if did.holder_id is not None:
            raise CatalogueError(
                f"DID {did.shown} is held by an account and cannot be deleted. Release it first."
            )
        number = did.number
        gone = changed(snapshot(did, AUDITED_FIELDS), None)
        try:
            with transaction.atomic():
                # First: delete() forgets the id. A refused delete rolls the row back with it.
                record("did.deleted", did=did, by=by, changes=gone, summary=f"DID {did.shown} deleted")
                did.delete()
        except ProtectedError as exc:
            raise CatalogueError(
                f"DID {did.shown} has billing history (it was sold before) and cannot be deleted. "
                "Set it to Inactive instead."
            ) from exc
    return number


def provider_save(*, provider: Provider) -> Provider:
    fields = ("name", "is_active")
    try:
        with transaction.atomic():
            before = Provider.objects.filter(pk=provider.pk).first() if provider.pk else None
            provider.save()
            changes = changed({f: getattr(before, f) for f in fields} if before else None,
                              {f: getattr(provider, f) for f in fields})
            if before is None or changes:
                record("provider.created" if before is None else "provider.updated", changes=changes, obj=provider,
                       summary=f"Provider {provider} {'created' if before is None else 'changed'}")
    except IntegrityError as exc:
        raise CatalogueError("A provider with this name already exists.", field="name") from exc
    return provider
