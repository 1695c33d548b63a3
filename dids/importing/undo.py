"""Undo an import: delete its DIDs, while none of them has ever been sold."""

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import acting_user
from audit.record import record as audit
from core.locking import lock_dids_sql, lock_import
from dids.models import DID, DIDImport, cascading_from_did


class UndoRefused(Exception):
    """Why this import cannot be undone; shown to the admin."""


def sold_count(imported: DIDImport) -> int:
    """DIDs of the import that are held now or were ever sold (a subscription keeps them)."""
    dids = DID.objects.filter(import_batch=imported)
    held = dids.filter(holder__isnull=False).count()
    return held or dids.filter(subscriptions__isnull=False).values("pk").distinct().count()


def undo_import(import_id: int, *, by=None) -> int:
    """Delete the import's DIDs; returns how many. A purchase racing the undo
    either locks its DID first (the undo then sees it sold and refuses) or finds
    the DID gone."""
    with transaction.atomic():
        imported = lock_import(DIDImport.objects.filter(pk=import_id))
        if imported.undone_at:
            raise UndoRefused(f"Import #{imported.pk} was already undone.")
        if connection.vendor == "postgresql":
            # The same lock order as a purchase: DID rows, by id; they are deleted. (SQLite writes one at a time.)
            sql, params = lock_dids_sql(DID.objects.filter(import_batch_id=imported.pk), key_change=True)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM ({sql}) d", params)
        sold = sold_count(imported)
        if sold:
            raise UndoRefused(
                f"Import #{imported.pk} cannot be undone: {sold:,} of its DIDs {'has' if sold == 1 else 'have'} "
                "been sold. Release them and delete or deactivate the DIDs one by one instead."
            )
        # Price changes and history of never-sold DIDs go with them (CASCADE, as a single delete does).
        for model, key in cascading_from_did():
            model.objects.filter(**{f"{key.name}__import_batch": imported}).delete()
        with connection.cursor() as cursor:
            # One DELETE; Django's collector would load a million DIDs to delete them one by one.
            cursor.execute("DELETE FROM dids_did WHERE import_batch_id = %s", [imported.pk])
            deleted = cursor.rowcount
        imported.undone_at = timezone.now()
        imported.undone_by = acting_user(by)
        imported.save(update_fields=["undone_at", "undone_by"])
        # One audit row per undo, with the count (the import still lists what it had created).
        audit("dids.import_undone", obj=imported, by=by, changes={"created": (imported.created, 0)},
              summary=f"{imported} undone: {deleted:,} DIDs deleted")
    return deleted
