"""Bulk actions of the admin's DID list: activate / deactivate, change provider,
change prices, delete unsold. No HTTP here; dids/views_bulk.py calls these.

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

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case, CharField, Count, DateTimeField, DecimalField, Exists, F, Func, IntegerField, JSONField, OuterRef, Q, QuerySet,
    Value, When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat, JSONArray, JSONObject, Left, Substr
from django.utils import timezone

from accounts.models import acting_user
from audit.record import StripNulls, insert_for_dids
from core.forms import MAX_PRICE
from core.locking import lock_dids_sql
from core.money import fmt, quantize
from dids.models import DID, DIDHistory, Provider, cascading_from_did, pointing_at_did

_PINNED = "bulk_did_targets"  # a temporary table: per connection, dropped with the transaction

# What "Change prices" may change, with the labels of the Create Product form.
MONEY_FIELDS = {"setup_fee": "Setup Fee", "monthly_fee": "MonthlyFee", "connection_cost": "Connection Cost",
                "cost_per_min": "Cost/Min"}
WHOLE_FIELDS = {"grace_time": ("Grace Time", 0), "initial_increment": ("Initial Increment", 0),
                "increment": ("Increment", 1)}  # (label, minimum), maximum 86400 as on the form
WHOLE_MAX = 86400


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
    with _pinned(dids) as (total, pinned):
        todo = pinned.exclude(status=status)
        _record(todo, by=by, description=Concat(Value("Bulk change: status "), old, Value(f" → {label}")),
                audit=("did.bulk_status", JSONObject(status=_pair(old, Value(label)))))
        changed = todo.update(status=status, updated_at=timezone.now())
    return BulkResult(total, changed, {f"already {label}": total - changed})


def bulk_set_provider(*, dids: QuerySet, provider: Provider, by=None) -> BulkResult:
    if provider is None or not Provider.objects.filter(pk=provider.pk, is_active=True).exists():
        raise BulkError("Choose an active provider.", field="provider")
    with _pinned(dids) as (total, pinned):
        todo = pinned.exclude(provider=provider)
        description = Concat(Value("Bulk change: provider "), F("provider__name"), Value(f" → {provider.name}"),
                             output_field=CharField())
        _record(todo, by=by, description=description,
                audit=("did.bulk_provider", JSONObject(provider=_pair(F("provider__name"), Value(provider.name)))))
        changed = todo.update(provider=provider, updated_at=timezone.now())
    return BulkResult(total, changed, {f"already with {provider.name}": total - changed})


def bulk_set_prices(*, dids: QuerySet, changes: Mapping[str, Decimal | int | None], by=None) -> BulkResult:
    """Change the given price and rating fields (None or absent = keep). A DID whose
    Setup Fee or MonthlyFee changes gets a PRICE_CHANGED history row with the old and
    new operator's price (as the product Edit does); otherwise a CHANGED row."""
    new = _validated_prices(changes)
    currency = settings.PORTAL_CURRENCY
    differs = {name: ~Q(**{name: value}) | (~Q(**{f"{name}_currency": currency}) if name in MONEY_FIELDS else Q())
               for name, value in new.items()}
    any_differs = Q()
    for condition in differs.values():
        any_differs |= condition
    price_differs = Q(pk__in=[])
    for name in ("setup_fee", "monthly_fee"):
        if name in differs:
            price_differs |= differs[name]

    pieces, audited = [], {}
    for name, value in new.items():
        label = MONEY_FIELDS.get(name) or WHOLE_FIELDS[name][0]
        old = _MoneyText(F(name)) if name in MONEY_FIELDS else Cast(F(name), CharField())
        shown = fmt(value) if name in MONEY_FIELDS else str(value)
        pieces.append(Case(When(differs[name], then=Concat(Value(f", {label} "), old, Value(f" → {shown}"))),
                           default=Value(""), output_field=CharField()))
        audited[name] = Case(When(differs[name], then=_pair(old, Value(shown))), default=Value(None),
                             output_field=JSONField())
    listed = pieces[0] if len(pieces) == 1 else Concat(*pieces, output_field=CharField())
    description = Concat(Value("Bulk change: "), Substr(listed, 3), output_field=CharField())

    def when_price(expression, output):
        return Case(When(price_differs, then=expression), default=Value(None), output_field=output)

    amount = DecimalField(max_digits=14, decimal_places=4)
    text = CharField()
    price_columns = {
        "old_setup_fee": when_price(F("setup_fee"), amount),
        "old_setup_fee_currency": when_price(F("setup_fee_currency"), text),
        "old_price": when_price(F("monthly_fee"), amount),
        "old_price_currency": when_price(F("monthly_fee_currency"), text),
        "setup_fee": when_price(Value(new["setup_fee"], amount) if "setup_fee" in new else F("setup_fee"), amount),
        "setup_fee_currency": when_price(Value(currency), text),
        "price": when_price(Value(new["monthly_fee"], amount) if "monthly_fee" in new else F("monthly_fee"), amount),
        "price_currency": when_price(Value(currency), text),
    }
    action = Case(When(price_differs, then=Value(DIDHistory.Action.PRICE_CHANGED.value)),
                  default=Value(DIDHistory.Action.CHANGED.value), output_field=text)
    updates = {}
    for name, value in new.items():
        updates[name] = value
        if name in MONEY_FIELDS:
            updates[f"{name}_currency"] = currency
    with _pinned(dids) as (total, pinned):
        todo = pinned.filter(any_differs)
        _record(todo, by=by, description=description, action=action, extra=price_columns,
                audit=("did.bulk_prices", StripNulls(JSONObject(**audited), output_field=JSONField())))
        changed = todo.update(**updates, updated_at=timezone.now())
    return BulkResult(total, changed, {"already at these values": total - changed})


def bulk_delete_unsold(*, dids: QuerySet, by=None) -> BulkResult:
    """Delete the target DIDs nobody holds and nobody ever bought. A DID with a
    subscription, a ledger entry or a purchase in its history is kept (those rows
    protect it, and they are the billing record). Deleting a DID deletes its history
    and the operator's per-buyer prices for it with it (their foreign keys cascade)."""
    sold_before = _sold_before()
    with _pinned(dids, deleting=True) as (total, pinned):
        counts = pinned.aggregate(
            held=Count("pk", filter=Q(holder__isnull=False)),
            sold=Count("pk", filter=Q(holder__isnull=True) & Q(sold_before)),
        )
        deletable = pinned.filter(holder__isnull=True).exclude(sold_before)
        status = Case(*[When(status=value, then=Value(text)) for value, text in DID.Status.choices],
                      default=F("status"), output_field=CharField())
        gone = Value(None, CharField())
        insert_for_dids(deletable, action="did.bulk_deleted", by=by, summary=Concat(
            Value("DID "), Substr(F("number"), 2), Value(" deleted (bulk delete of unsold DIDs)"),
            output_field=CharField()), changes=JSONObject(
            number=_pair(F("number"), gone), status=_pair(status, gone), provider=_pair(F("provider__name"), gone),
            setup_fee=_pair(_MoneyText(F("setup_fee")), gone), monthly_fee=_pair(_MoneyText(F("monthly_fee")), gone)))
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
def _pinned(dids: QuerySet, *, deleting: bool = False):
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


def _pair(before, after) -> JSONArray:
    """[before, after] as text, for an audit row's changes."""
    return JSONArray(Cast(before, CharField()), Cast(after, CharField()))


def _record(rows: QuerySet, *, by, description, action=None, extra: dict | None = None, audit=None) -> None:
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


class _MoneyText(Func):
    """A money amount as the seed prints it (1.0000), computed in SQL."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS varchar(32))", **extra)

    def as_sqlite(self, compiler, connection, **extra):  # SQLite keeps 1.0000 as 1
        sql, params = super().as_sql(compiler, connection, template="printf(%%s, %(expressions)s)", **extra)
        return sql, ("%.4f", *params)


def _validated_prices(changes: Mapping[str, Decimal | int | None]) -> dict[str, Decimal | int]:
    """The filled fields, checked as the Create Product form checks them."""
    unknown = set(changes) - set(MONEY_FIELDS) - set(WHOLE_FIELDS)
    if unknown:
        raise BulkError(f"These fields cannot be changed in bulk: {', '.join(sorted(unknown))}.")
    new: dict[str, Decimal | int] = {}
    for name, value in changes.items():
        if value is None or value == "":
            continue
        if name in MONEY_FIELDS:
            if isinstance(value, float) or not isinstance(value, (Decimal, int)):
                raise BulkError("Enter an amount in plain digits, e.g. 5 or 5.0000.", field=name)
            value = Decimal(value)
            if value != quantize(value):
                raise BulkError("Ensure that there are no more than 4 decimal places.", field=name)
            if not 0 <= value <= MAX_PRICE:
                raise BulkError(f"Enter an amount from 0 to {fmt(MAX_PRICE)}.", field=name)
            new[name] = quantize(value)
        else:
            label, minimum = WHOLE_FIELDS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= WHOLE_MAX:
                raise BulkError(f"{label}: enter a whole number from {minimum} to {WHOLE_MAX}.", field=name)
            new[name] = value
    if not new:
        raise BulkError("Fill in at least one field to change; blank fields are kept.")
    return new
