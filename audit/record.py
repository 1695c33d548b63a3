"""Writing the audit trail.

``record(action, ...)`` writes one row in the caller's transaction: when the change
rolls back, so does its row. ``record_many`` writes rows built with ``entry`` in one
INSERT (the billing run's batch). ``insert_for_dids`` writes one row per DID of a
queryset with ``INSERT … SELECT`` (the DID list's bulk actions: their before and
after values are read in SQL, no DID is loaded).

Who and from where come from audit.context: the user passed as ``by`` (a saved user)
or the request's user; the admin behind a "log in as" session; the source (UI,
command, API, system) and the client's address.
"""

from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BigIntegerField, CharField, DateTimeField, F, Func, GenericIPAddressField, QuerySet, Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from audit.context import current, resolved
from audit.models import ACTIONS, AuditEntry
from core.money import fmt


# --- values -----------------------------------------------------------------------


def plain(value):
    """A value as the trail keeps it (JSON): money and decimals as text with 4 places
    ("5.0000"), dates in ISO 8601, anything else that is not JSON as its text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if hasattr(value, "amount") and hasattr(value, "currency"):  # Money
        value = value.amount
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):  # never money here; kept exact as text
        return repr(value)
    return str(value)


def snapshot(instance, fields) -> dict:
    """{field: value} of a model instance for ``changed``; fields with choices as their labels."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.choices:
            values[name] = getattr(instance, f"get_{name}_display")()
        elif field.is_relation:
            related = getattr(instance, name)
            values[name] = str(related) if related is not None else None
        else:
            values[name] = getattr(instance, name)
    return values


def changed(before: dict | None, after: dict | None) -> dict:
    """{"field": [before, after]} for the fields whose values differ (``before`` None:
    created, every field from None; ``after`` None: deleted)."""
    one_sided = before is None or after is None  # a creation or a deletion lists what was set
    before, after = before or {}, after or {}
    pairs = {}
    for name in list(before) + [n for n in after if n not in before]:
        old, new = plain(before.get(name)), plain(after.get(name))
        if old != new and not (one_sided and old in (None, "") and new in (None, "")):
            pairs[name] = [old, new]
    return pairs


# --- who ----------------------------------------------------------------------------


def _who(by=None) -> dict:
    """actor and on_behalf_of (ids and names) for a row written now."""
    ctx = resolved()  # the request's user (or the context's actor) and the admin behind a "log in as"
    actor = by if getattr(by, "pk", None) else ctx.actor
    who = {"actor_id": None, "actor_name": "", "on_behalf_of_id": None, "on_behalf_of_name": ""}
    if actor is None or not getattr(actor, "pk", None):
        return who
    who.update(actor_id=actor.pk, actor_name=actor.get_username())
    # The admin behind it applies to the session's own user, not to another user passed as ``by``.
    if ctx.actor is not None and ctx.actor.pk == actor.pk and ctx.on_behalf_of_id:
        who.update(on_behalf_of_id=ctx.on_behalf_of_id, on_behalf_of_name=ctx.on_behalf_of_name)
    return who


# --- one row ------------------------------------------------------------------------


def entry(action: str, *, summary: str, did=None, account=None, obj=None, changes: dict | None = None,
          by=None) -> AuditEntry:
    """An unsaved row (``record`` saves one, ``record_many`` many). ``did`` and ``account``
    are instances (their numbers are kept as text); ``obj`` is the row the change is about
    when it is neither (a subscription, an import); ``changes`` maps a field to
    (before, after)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    ctx = current()
    pairs = {name: [plain(old), plain(new)] for name, (old, new) in (changes or {}).items()}
    return AuditEntry(
        source=ctx.source, ip=ctx.ip, action=action, **_who(by),
        did_id=getattr(did, "pk", None), did_number=getattr(did, "number", "") or "",
        account_id=getattr(account, "pk", None), account_number=getattr(account, "number", "") or "",
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        summary=summary, changes=pairs,
    )


def record(action: str, *, summary: str, did=None, account=None, obj=None, changes: dict | None = None,
           by=None) -> AuditEntry:
    """Write one row now, in the caller's transaction."""
    row = entry(action, summary=summary, did=did, account=account, obj=obj, changes=changes, by=by)
    row.save()
    return row


def record_many(rows: list[AuditEntry]) -> None:
    if rows:
        AuditEntry.objects.bulk_create(rows, batch_size=1000)


# --- one row per DID, in SQL -----------------------------------------------------------


class StripNulls(Func):
    """A JSON object without its null members: {"a": [..], "b": null} -> {"a": [..]}, so
    a bulk change lists only the fields that changed for each DID."""

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSONB_STRIP_NULLS", **extra)

    def as_sqlite(self, compiler, connection, **extra):  # RFC 7396: a null in the patch removes the member
        return super().as_sql(compiler, connection, template="JSON_PATCH('{}', %(expressions)s)", **extra)


def insert_for_dids(dids: QuerySet, *, action: str, summary, changes, by=None) -> int:
    """``INSERT … SELECT`` one row per DID of ``dids`` (a DID queryset): ``summary`` and
    ``changes`` are SQL expressions over the DID's row (the values before the change)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    ctx, who = current(), _who(by)
    text = CharField()
    columns = {
        "at": Value(timezone.now(), DateTimeField()),
        "source": Value(ctx.source, text),
        "ip": Cast(Value(ctx.ip), GenericIPAddressField()),
        "action": Value(action, text),
        "actor_id": Cast(Value(who["actor_id"]), BigIntegerField()),
        "actor_name": Value(who["actor_name"], text),
        "on_behalf_of_id": Cast(Value(who["on_behalf_of_id"]), BigIntegerField()),
        "on_behalf_of_name": Value(who["on_behalf_of_name"], text),
        "did_id": "pk",
        "did_number": "number",
        "account_id": Cast(Value(None), BigIntegerField()),
        "account_number": Value("", text),
        "object_type": Value("", text),
        "object_id": Cast(Value(None), BigIntegerField()),
        "summary": summary,
        "changes": changes,
    }
    aliases = {f"a{i}": F(e) if isinstance(e, str) else e for i, e in enumerate(columns.values())}
    sql, params = dids.order_by("pk").values(**aliases).query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)  # the table's column names
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(AuditEntry._meta.db_table)} ({names}) {sql}", params)
        return cursor.rowcount
