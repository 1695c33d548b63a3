"""Bulk actions of the admin's DID list: activate / deactivate, change provider,
delete unsold; "Change prices" is billing/prices/bulk.py, on this machinery. No HTTP here;
billing/views/bulk.py calls these.

Each action is one transaction of a fixed number of SQL statements, whatever the
number of DIDs (a million included); no model object is loaded:

1. lock the target DIDs in id order (core/locking.py: FOR NO KEY UPDATE, FOR UPDATE to delete; the DID row
   first, in the order every other writer uses) and pin their ids in a temporary
   table, so every later statement works on exactly the locked set: a DID that starts
   matching the search a moment later (just created, its holder renamed) is not touched;
2. ``INSERT … SELECT`` one DIDHistory row and one audit row per DID that will change,
   its old values read in SQL;
3. one ``UPDATE … WHERE id IN (the pinned ids) AND <the value differs>``.

DIDs already at the new value are neither updated nor recorded; they are counted as
skipped with the reason.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import (
    Case, CharField, Count, DateTimeField, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet,
    Value, When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat, JSONArray, JSONObject, Left
from django.utils import timezone

from accounts.models import acting_user
from audit.record import insert_for_dids
from core.locking import lock_dids_sql
from dids.models import DID, DIDHistory, Provider, cascading_from_did, pointing_at_did

_PINNED = "bulk_did_targets"  # a temporary table: per connection, dropped with the transaction

class BulkError(Exception):
    """A bulk action refused before anything was written; the message is for the admin."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class BulkResult:
    targeted: int  # DIDs locked for the action
    changed: int  # DIDs updated (or deleted), one history row each (none for deletes)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> DIDs left as they were
    warning: str = ""  # for the admin after the change (e.g. prices now below the provider's cost)

    def summary(self, verb: str) -> str:
        text = f"{verb} {self.changed:,} DID{'' if self.changed == 1 else 's'}."
        skipped = [f"{n:,} {reason}" for reason, n in self.skipped.items() if n]
        if skipped:
            text += " Skipped " + ", ".join(skipped) + "."
        return text


# --- the actions ----------------------------------------------------------------


def bulk_set_status(*, dids: QuerySet, status: str, by=None) -> BulkResult:
    """Activate or deactivate. A held DID may be deactivated: its holder keeps it; it
    is only no longer offered for sale (DESIGN.md section 2)."""
    if status not in DID.Status.values:
        raise BulkError("Choose Active or Inactive.", field="status")
    label = DID.Status(status).label
    old = Case(*[When(status=value, then=Value(text)) for value, text in DID.Status.choices],
               default=F("status"), output_field=CharField())
    with pinned_dids(dids) as (total, pinned):
        todo = pinned.exclude(status=status)
        record_history(todo, by=by, description=Concat(Value("Bulk change: status "), old, Value(f" → {label}")),
                audit=("did.bulk_status", JSONObject(status=pair(old, Value(label)))))
        changed = todo.update(status=status, updated_at=timezone.now())
    return BulkResult(total, changed, {f"already {label}": total - changed})


def bulk_set_provider(*, dids: QuerySet, provider: Provider, by=None) -> BulkResult:
    if provider is None or not Provider.objects.filter(pk=provider.pk, is_active=True).exists():
        raise BulkError("Choose an active provider.", field="provider")
    with pinned_dids(dids) as (total, pinned):
        todo = pinned.exclude(provider=provider)
        description = Concat(Value("Bulk change: provider "), F("provider__name"), Value(f" → {provider.name}"),
                             output_field=CharField())
        record_history(todo, by=by, description=description,
                audit=("did.bulk_provider", JSONObject(provider=pair(F("provider__name"), Value(provider.name)))))
        changed = todo.update(provider=provider, updated_at=timezone.now())
    return BulkResult(total, changed, {f"already with {provider.name}": total - changed})


def bulk_delete_unsold(*, dids: QuerySet, by=None) -> BulkResult:
    """Delete the target DIDs nobody holds and nobody ever bought. A DID with a
    subscription, a ledger entry or a purchase in its history is kept (those rows
    protect it, and they are the billing record). Deleting a DID deletes its history
    and the operator's per-buyer prices for it with it (their foreign keys cascade)."""
    sold_before = _sold_before()
    with pinned_dids(dids, deleting=True) as (total, pinned):
        counts = pinned.aggregate(
            held=Count("pk", filter=Q(holder__isnull=False)),
            sold=Count("pk", filter=Q(holder__isnull=True) & Q(sold_before)),
        )
        deletable = pinned.filter(holder__isnull=True).exclude(sold_before)
        status = Case(*[When(status=value, then=Value(text)) for value, text in DID.Status.choices],
                      default=F("status"), output_field=CharField())
        gone = Value(None, CharField())
        insert_for_dids(deletable, action="did.bulk_deleted", by=by, summary=Concat(
            Value("DID "), F("number"), Value(" deleted (bulk delete of unsold DIDs)"),
            output_field=CharField()), changes=JSONObject(
            number=pair(F("number"), gone), status=pair(status, gone), provider=pair(F("provider__name"), gone),
            setup_fee=pair(MoneyText(F("setup_fee")), gone), monthly_fee=pair(MoneyText(F("monthly_fee")), gone)))
        ids_sql, params = deletable.values("pk").query.sql_with_params()
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            # The cascading rows first (Django's CASCADE is emulated, not in the database), then the DIDs.
            targets = [(model, key.column) for model, key in cascading_from_did()] + [(DID, "id")]
            for model, column in targets:
                table = quote(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE {quote(column)} IN ({ids_sql})", params)
            deleted = cursor.rowcount  # the last statement's: the DIDs
    return BulkResult(total, deleted, {"held by an account": counts["held"],
                                       "sold before (set those to Inactive instead)": counts["sold"]})


def delete_preview(dids: QuerySet) -> dict[str, int]:
    """For the confirmation page, in one query: how many of ``dids`` a delete would
    remove, and how many it would skip because they are held or were sold before."""
    sold_before = _sold_before()
    counts = DID.objects.filter(pk__in=dids.values("pk")).aggregate(
        total=Count("pk"),
        held=Count("pk", filter=Q(holder__isnull=False)),
        sold=Count("pk", filter=Q(holder__isnull=True) & Q(sold_before)),
    )
    counts["deletable"] = counts["total"] - counts["held"] - counts["sold"]
    return counts


# --- the machinery --------------------------------------------------------------


def _sold_before() -> Q:
    """The DID was bought at some time: the rows that PROTECT it (its subscriptions,
    its ledger entries) or a purchase in its history."""
    return (
        Exists(pointing_at_did("subscriptions").objects.filter(did=OuterRef("pk")))
        | Exists(pointing_at_did("ledger_entries").objects.filter(did=OuterRef("pk")))
        | Exists(DIDHistory.objects.filter(did=OuterRef("pk"), action=DIDHistory.Action.PURCHASED))
    )


@contextmanager
def pinned_dids(dids: QuerySet, *, deleting: bool = False):
    """In one transaction: lock the DIDs of ``dids`` in id order and pin their ids;
    yields (how many, a queryset of exactly those DIDs). ``deleting``: FOR UPDATE, else
    FOR NO KEY UPDATE (core/locking.py)."""
    quote = connection.ops.quote_name
    table = quote(_PINNED)
    with transaction.atomic(), connection.cursor() as cursor:
        on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
        cursor.execute(f"CREATE TEMPORARY TABLE {table} (id bigint NOT NULL){on_commit}")
        sql, params = lock_dids_sql(dids, key_change=deleting)
        cursor.execute(f"INSERT INTO {table} (id) {sql}", params)
        total = cursor.rowcount
        yield total, DID.objects.filter(pk__in=RawSQL(f"SELECT id FROM {table}", []))
        # A rollback (an exception above) removes the table with everything else.
        cursor.execute(f"DROP TABLE {table}")


def pair(before, after) -> JSONArray:
    """[before, after] as text, for an audit row's changes."""
    return JSONArray(Cast(before, CharField()), Cast(after, CharField()))


def record_history(rows: QuerySet, *, by, description, action=None, extra: dict | None = None, audit=None) -> None:
    """INSERT … SELECT one DIDHistory row per DID of ``rows``, and one audit row:
    ``audit`` is (its action, its changes as a JSON expression)."""
    actor = acting_user(by)
    columns = {
        "did_id": F("pk"),
        "action": action if action is not None else Value(DIDHistory.Action.CHANGED.value),
        "description": Left(description, 255),
        "actor_id": Cast(Value(actor.pk if actor else None), IntegerField()),
        "at": Value(timezone.now(), DateTimeField()),
        **(extra or {}),
    }
    aliases = {f"c{i}": expression for i, expression in enumerate(columns.values())}
    sql, params = rows.order_by("pk").values(**aliases).query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(DIDHistory._meta.db_table)} ({names}) {sql}", params)
    if audit is not None:
        audit_action, changes = audit
        insert_for_dids(rows, action=audit_action, summary=description, changes=changes, by=by)


class MoneyText(Func):
    """A money amount as the seed prints it (1.0000), computed in SQL."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS varchar(32))", **extra)

    def as_sqlite(self, compiler, connection, **extra):  # SQLite keeps 1.0000 as 1
        sql, params = super().as_sql(compiler, connection, template="printf(%%s, %(expressions)s)", **extra)
        return sql, ("%.4f", *params)
