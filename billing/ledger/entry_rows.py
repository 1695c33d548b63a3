"""Ledger entries as the statement's rows of display values: dates in the current
time zone, kinds, amounts, worked out here once per row so the entry table only
prints them (``|date``, ``get_kind_display`` and ``|amount`` in the template cost a
statement page more than its SQL)."""

from typing import TypedDict

from django.utils import timezone

from billing.models import LedgerEntry
from core.money import fmt_page

KINDS = dict(LedgerEntry.Kind.choices)


def _local(moment):
    """As the ``date`` filter: an aware datetime in the current time zone."""
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def day(moment) -> str:
    """``moment|date:"Y-m-d"`` ("" for None)."""
    if moment is None:
        return ""
    moment = _local(moment)
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"


def minute(moment) -> str:
    """``moment|date:"Y-m-d H:i"``."""
    moment = _local(moment)
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


class EntryRow(TypedDict):
    """One ledger row, a plain dict for the reasons given on dids.list_rows.DIDRow."""

    created: str  # Y-m-d H:i, current time zone
    kind: str
    description: str
    did: str  # the DID as people read it (+1 855-580-1802), "" when the entry has none
    period: str  # "start – end" (days), "" without a period
    amount: str
    negative: bool  # a debit (shown in red)
    balance: str


def entry_rows(entries) -> list[EntryRow]:
    """One row per LedgerEntry (``did`` selected with it where the entry has one)."""
    return [
        EntryRow(
            created=minute(entry.created_at),
            kind=str(KINDS.get(entry.kind, entry.kind)),
            description=entry.description,
            did=entry.did.shown if entry.did_id else "",
            period=(f"{day(entry.period_start)} – {day(entry.period_end)}"
                    if entry.period_start or entry.period_end else ""),
            amount=fmt_page(entry.amount),
            negative=entry.amount.amount < 0,
            balance=fmt_page(entry.balance_after),
        )
        for entry in entries
    ]
