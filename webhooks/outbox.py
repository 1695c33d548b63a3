"""Writing events: in the transaction of the change they are about (an outbox), so a change
rolled back writes none and a committed one has its events and deliveries committed with it.

Services call ``emit`` (one event), ``emit_many`` (a list: one SELECT of the endpoints, one
INSERT of the events, one of the deliveries) or ``emit_each`` (one event per row of a queryset:
a bulk price change). An event is written only when an active endpoint subscribed to its type
receives it; with none, ``emit_many`` costs one SELECT and writes nothing. The purchase, the
busiest transaction, knows from its account lock whether any endpoint waits for it and calls
``emit_many`` only then (billing/subscriptions/purchase.py).

Who receives an event: the endpoints of the account it is about (``Draft.account_id``; None: the
operator) and of the accounts in ``also`` (a purchase's seller: a reseller, or None for the
operator). Once the transaction commits, the deliveries go to the task queue
(webhooks/delivery.py); if that hand-over is lost (a crash right after the commit), the sweep
(``manage.py deliver_webhooks``) finds them: each delivery row exists before any task runs.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.money import fmt
from webhooks.models import Delivery, Endpoint, Event

OPERATOR = None  # the operator as a receiver (its endpoints have no account)


@dataclass(frozen=True)
class Draft:
    type: str
    account_id: int | None  # the account the change is about; None: the operator
    payload: dict
    also: tuple = field(default=())  # other receivers: account ids, None for the operator


def subscribed(types: Iterable[str]) -> QuerySet:
    """The active endpoints subscribed to any of ``types``."""
    wanted = Q(pk__in=[])
    for name in set(types):
        wanted |= Q(events__contains=f",{name},")
    return Endpoint.objects.filter(wanted, active=True)


def hooked(type_: str, account_ref: str = "pk") -> Exists:
    """Whether the account of the outer row (``account_ref``) has an endpoint for ``type_``: an
    annotation for a statement the caller runs anyway (the purchase's account lock)."""
    return Exists(subscribed([type_]).filter(account_id=OuterRef(account_ref)))


def operator_hooked(type_: str) -> Exists:
    return Exists(subscribed([type_]).filter(account__isnull=True))


def plain(value):
    """A payload value as JSON: money and decimals as text with 4 places, times in ISO 8601."""
    if hasattr(value, "amount") and hasattr(value, "currency"):
        value = value.amount
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def emit(type_: str, account_id: int | None, payload: dict, *, also: tuple = ()) -> int:
    return emit_many([Draft(type_, account_id, payload, tuple(also))])


def emit_many(drafts: list[Draft]) -> int:
    """The events of ``drafts`` that have a receiver, and their deliveries, in the current
    transaction; handed to the task queue after the commit. Returns how many events were written."""
    if not drafts:
        return 0
    receivers = {who for draft in drafts for who in (draft.account_id, *draft.also)}
    accounts = [who for who in receivers if who is not None]
    whose = Q(account_id__in=accounts) if accounts else Q(pk__in=[])
    if OPERATOR in receivers:
        whose |= Q(account__isnull=True)
    endpoints: dict[int | None, list[tuple[int, str]]] = {}
    for pk, account_id, events in subscribed({d.type for d in drafts}).filter(whose).values_list(
            "pk", "account_id", "events"):
        endpoints.setdefault(account_id, []).append((pk, events))
    if not endpoints:
        return 0
    now = timezone.now()
    events, deliveries = [], []
    for draft in drafts:
        targets = {pk for who in dict.fromkeys((draft.account_id, *draft.also))
                   for pk, types in endpoints.get(who, ()) if f",{draft.type}," in types}
        if not targets:
            continue
        event = Event(type=draft.type, account_id=draft.account_id, created_at=now,
                      payload={name: plain(value) for name, value in draft.payload.items()})
        events.append(event)
        deliveries += [Delivery(endpoint_id=pk, event=event, next_attempt_at=now) for pk in sorted(targets)]
    if not events:
        return 0
    Event.objects.bulk_create(events)
    Delivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _hand_over(ids))
    return len(events)


def emit_each(rows: QuerySet, type_: str, *, payload: dict, account: str = "account") -> int:
    """One event per row of ``rows`` whose account (the relation ``account``) has an endpoint for
    ``type_``: one SELECT of those rows only (``payload``: {name: expression over a row}), then
    ``emit_many``'s SELECT of their endpoints and two INSERTs: four statements whatever their number. For changes of thousands of rows (a bulk price change)."""
    key = f"{account}_id"
    found = rows.order_by().filter(hooked(type_, key)).values(key, **{f"hook_{n}": e for n, e in payload.items()})
    return emit_many([Draft(type_, row.pop(key), {n.removeprefix("hook_"): v for n, v in row.items()})
                      for row in found])


def _hand_over(delivery_ids: list[int]) -> None:
    from webhooks.delivery import enqueue  # the task module imports this one

    enqueue(delivery_ids)
