"""Revenue assurance: is every period of every held DID charged exactly once, and
does every account's balance match its ledger? (``manage.py billing_audit``,
the admin's /billing/audit/ page.)

A charge is a ledger entry of kind ``did_price`` (the purchase's first period) or
``renewal`` (each later period), tied to its subscription and period. Findings:

  - duplicate: two or more charges of one subscription with the same period
    start. The unique index ledger_one_charge_per_period forbids it; the audit
    does not rely on the index (it can be missing or dropped). Any status: money
    taken twice matters even after the DID was released.
  - missing / misaligned: the charges of an active (or suspended) subscription,
    by period start, must tile [started_at, period_end): the first starts at
    started_at, each next one where the one before ended, the last ends at
    period_end (the end of the last paid period). The first break is reported:
    missing = time inside the paid span that no charge covers; misaligned =
    charges that overlap or run outside that span.
  - overdue: an active subscription in good standing whose period ended more
    than ``tolerance`` ago (nobody charged the period that has started), or a
    suspended one whose grace ended that long ago and is still held: the
    billing run is not running.
  - balance: an account whose balance differs from the sum of its ledger
    entries (billing.ledger.checks, shared with check_ledger).

Set-based: five SQL statements whatever the number of subscriptions or entries
(GROUP BY and window functions, no query per subscription).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Account
from billing.ledger.checks import BalanceMismatch, balance_mismatches, to_decimal
from billing.models import LedgerEntry, Subscription
from core.money import fmt
from core.phone import display
from dids.models import DID

DEFAULT_TOLERANCE = timedelta(days=1)
CHARGE_KINDS = (LedgerEntry.Kind.DID_PRICE.value, LedgerEntry.Kind.RENEWAL.value)
ACTIVE = Subscription.Status.ACTIVE.value

LABELS = {
    "duplicate": "Duplicate charge",
    "missing": "Missing charge",
    "misaligned": "Misaligned charge",
    "overdue": "Overdue",
    "balance": "Balance differs from ledger",
}


@dataclass(frozen=True)
class SubscriptionFinding:
    kind: str  # duplicate | missing | misaligned | overdue
    subscription_id: int
    account_id: int
    account_number: str
    account_name: str
    did_id: int
    did_shown: str  # +1 855-580-1802
    status: str  # Active | Suspended | Ended
    period_start: datetime | None  # the period concerned
    period_end: datetime | None
    detail: str
    amount: Decimal | None = None  # duplicate: what was charged too much

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass(frozen=True)
class BalanceFinding:
    account_id: int
    account_number: str
    account_name: str
    balance: Decimal
    ledger_total: Decimal
    kind: str = "balance"

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def difference(self) -> Decimal:
        return self.balance - self.ledger_total

    @property
    def detail(self) -> str:
        return f"balance {fmt(self.balance)} but its ledger entries sum to {fmt(self.ledger_total)}"


@dataclass
class AuditReport:
    now: datetime
    tolerance: timedelta
    subscriptions_checked: int = 0  # active, suspended included
    suspended_checked: int = 0
    accounts_checked: int = 0
    duplicates: list[SubscriptionFinding] = field(default_factory=list)
    gaps: list[SubscriptionFinding] = field(default_factory=list)  # missing or misaligned
    overdue: list[SubscriptionFinding] = field(default_factory=list)
    balances: list[BalanceFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems(self) -> int:
        return len(self.duplicates) + len(self.gaps) + len(self.overdue) + len(self.balances)

    @property
    def subscription_findings(self) -> list[SubscriptionFinding]:
        return self.duplicates + self.gaps + self.overdue

    @property
    def summary(self) -> str:
        """'3 problems found: 1 duplicate charge, 2 overdue subscriptions.' or 'No problems found.'"""
        if self.ok:
            return "No problems found."
        parts = [
            _count(len(self.duplicates), "duplicate charge", "duplicate charges"),
            _count(len(self.gaps), "missing or misaligned charge", "missing or misaligned charges"),
            _count(len(self.overdue), "overdue subscription", "overdue subscriptions"),
            _count(len(self.balances), "balance that differs from the ledger", "balances that differ from the ledger"),
        ]
        return f"{_count(self.problems, 'problem', 'problems')} found: {', '.join(p for p in parts if p)}."


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}" if n else ""


def run_audit(*, now: datetime | None = None, tolerance: timedelta = DEFAULT_TOLERANCE) -> AuditReport:
    now = now or timezone.now()
    report = AuditReport(now=now, tolerance=tolerance)
    with connection.cursor() as cursor:
        cursor.execute(_sql(COUNTS_SQL), [ACTIVE, ACTIVE])
        report.subscriptions_checked, report.suspended_checked, report.accounts_checked = (
            int(v or 0) for v in cursor.fetchone()
        )
        report.duplicates = _duplicates(cursor)
        report.gaps = _gaps(cursor)
        report.balances = [_balance(row) for row in balance_mismatches(cursor)]
    report.overdue = _overdue(now, tolerance)
    return report


# --- SQL ------------------------------------------------------------------------

def _sql(template: str) -> str:
    qn = connection.ops.quote_name
    return template.format(
        sub=qn(Subscription._meta.db_table), entry=qn(LedgerEntry._meta.db_table),
        account=qn(Account._meta.db_table), did=qn(DID._meta.db_table),
        charge_kinds=", ".join(f"'{kind}'" for kind in CHARGE_KINDS),
    )


COUNTS_SQL = """
SELECT (SELECT COUNT(*) FROM {sub} WHERE status = %s),
       (SELECT COUNT(*) FROM {sub} WHERE status = %s AND grace_until IS NOT NULL),
       (SELECT COUNT(*) FROM {account})
"""

# Every charge of a (subscription, period start) that has more than one, in the
# order they were posted (the first is the right one, the others are extra).
DUPLICATES_SQL = """
WITH dup AS (
    SELECT subscription_id, period_start
    FROM {entry}
    WHERE kind IN ({charge_kinds}) AND subscription_id IS NOT NULL
    GROUP BY subscription_id, period_start
    HAVING COUNT(*) > 1
)
SELECT e.subscription_id, e.period_start, e.period_end, e.amount, e.seq,
       s.status, s.grace_until, a.id, a.number, a.name, d.id, d.number
FROM dup
JOIN {entry} e ON e.subscription_id = dup.subscription_id AND e.period_start = dup.period_start
JOIN {sub} s ON s.id = e.subscription_id
JOIN {account} a ON a.id = s.account_id
JOIN {did} d ON d.id = s.did_id
WHERE e.kind IN ({charge_kinds})
ORDER BY a.number, d.number, s.id, e.period_start, e.seq, e.id
"""

# Each charge beside the one before and after it (by period start) of the same
# subscription. A row whose period start equals the previous one is a duplicate
# (reported by DUPLICATES_SQL, skipped here).
TILES = """
tiles AS (
    SELECT e.subscription_id AS sub_id, e.period_start AS ps, e.period_end AS pe,
           LAG(e.period_start) OVER w AS prev_start,
           LAG(e.period_end) OVER w AS prev_end,
           LEAD(e.period_start) OVER w AS next_start
    FROM {entry} e
    WHERE e.kind IN ({charge_kinds}) AND e.subscription_id IN (SELECT id FROM {sub} WHERE status = %s)
    WINDOW w AS (PARTITION BY e.subscription_id ORDER BY e.period_start)
)"""

# The charges of an active subscription must tile [started_at, period_end). Each
# break is a row (why, expected start, what was found); the first one per
# subscription is reported.
GAPS_SQL = """
WITH""" + TILES + """,
breaks AS (
    SELECT t.sub_id, 'first' AS why, s.started_at AS expected, t.ps AS found_start, t.pe AS found_end
    FROM tiles t JOIN {sub} s ON s.id = t.sub_id
    WHERE t.prev_start IS NULL AND t.ps <> s.started_at AND s.status = %s
    UNION ALL
    SELECT t.sub_id, 'next', t.prev_end, t.ps, t.pe
    FROM tiles t
    WHERE t.prev_start IS NOT NULL AND t.prev_start <> t.ps AND t.ps <> t.prev_end
    UNION ALL
    SELECT s.id, CASE WHEN t.sub_id IS NULL THEN 'none' ELSE 'last' END, COALESCE(t.pe, s.started_at),
           s.period_end, s.period_end
    FROM {sub} s LEFT JOIN tiles t ON t.sub_id = s.id AND t.next_start IS NULL
    WHERE s.status = %s AND (t.sub_id IS NULL OR t.pe <> s.period_end)
),
ranked AS (
    SELECT b.sub_id, b.why, b.expected, b.found_start, b.found_end,
           ROW_NUMBER() OVER (PARTITION BY b.sub_id ORDER BY b.expected, b.found_start) AS rn
    FROM breaks b
)
SELECT r.sub_id, r.why, r.expected, r.found_start, r.found_end, s.started_at, s.period_end,
       s.status, s.grace_until, a.id, a.number, a.name, d.id, d.number
FROM ranked r
JOIN {sub} s ON s.id = r.sub_id
JOIN {account} a ON a.id = s.account_id
JOIN {did} d ON d.id = s.did_id
WHERE r.rn = 1 AND s.status = %s
ORDER BY a.number, d.number, s.id
"""


# --- findings -------------------------------------------------------------------

def _dt(value) -> datetime | None:
    """A timestamp from a raw row: PostgreSQL gives aware datetimes; SQLite gives
    naive UTC datetimes, or text for computed columns."""
    if value is None or isinstance(value, datetime) and timezone.is_aware(value):
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=dt_timezone.utc) if timezone.is_naive(value) else value


def when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "?"


def _status(status: str, grace_until) -> str:
    if status != ACTIVE:
        return Subscription.Status(status).label
    return "Suspended" if grace_until is not None else "Active"


def _finding(kind, sub_id, status, grace_until, account_id, number, name, did_id, did_number, start, end, detail,
             amount=None) -> SubscriptionFinding:
    return SubscriptionFinding(
        kind=kind, subscription_id=sub_id, account_id=account_id, account_number=number, account_name=name,
        did_id=did_id, did_shown=display(did_number), status=_status(status, grace_until), period_start=start,
        period_end=end, detail=detail, amount=amount,
    )


def _duplicates(cursor) -> list[SubscriptionFinding]:
    cursor.execute(_sql(DUPLICATES_SQL))
    groups: dict[tuple, list] = {}
    for row in cursor.fetchall():
        groups.setdefault((row[0], _dt(row[1])), []).append(row)
    findings = []
    for (sub_id, start), rows in groups.items():
        first = rows[0]
        _, _, end, _, _, status, grace_until, account_id, number, name, did_id, did_number = first
        charged = [-to_decimal(r[3]) for r in rows]
        extra = sum(charged[1:], Decimal("0.0000"))
        seqs = ", ".join(f"#{r[4]}" for r in rows)
        detail = f"charged {len(rows)} times: entries {seqs} on the statement of account {number}"
        findings.append(_finding("duplicate", sub_id, status, grace_until, account_id, number, name, did_id,
                                 did_number, start, _dt(end), detail, amount=extra))
    return findings


def _gaps(cursor) -> list[SubscriptionFinding]:
    cursor.execute(_sql(GAPS_SQL), [ACTIVE] * 4)
    findings = []
    for (sub_id, why, expected, found_start, found_end, started_at, paid_to, status, grace_until, account_id,
         number, name, did_id, did_number) in cursor.fetchall():
        expected, found_start, found_end = _dt(expected), _dt(found_start), _dt(found_end)
        started_at, paid_to = _dt(started_at), _dt(paid_to)
        kind, start, end = "missing", expected, found_start
        if why == "none":
            detail = f"no charge at all since it started at {when(started_at)}; it is paid to {when(paid_to)}"
        elif why == "first" and found_start > expected:
            detail = f"started at {when(started_at)} but its first charge is for the period from {when(found_start)}"
        elif why == "first":
            kind, start, end = "misaligned", found_start, found_end
            detail = f"its first charge starts at {when(found_start)}, before the subscription started " \
                     f"({when(started_at)})"
        elif why == "next" and found_start > expected:
            detail = f"no charge from {when(expected)} to {when(found_start)}, where the next charge starts"
        elif why == "next":
            kind, start, end = "misaligned", found_start, found_end
            detail = f"the charge from {when(found_start)} overlaps the one before it, which ends at {when(expected)}"
        elif paid_to > expected:  # why == "last"
            detail = f"paid to {when(paid_to)} but its charges end at {when(expected)}"
        else:
            kind, start, end = "misaligned", paid_to, expected
            detail = f"its charges run to {when(expected)} but it is paid only to {when(paid_to)}"
        findings.append(_finding(kind, sub_id, status, grace_until, account_id, number, name, did_id, did_number,
                                 start, end, detail))
    return findings


def _overdue(now: datetime, tolerance: timedelta) -> list[SubscriptionFinding]:
    cutoff = now - tolerance
    subs = (
        Subscription.objects.filter(status=ACTIVE)
        .filter(Q(grace_until__isnull=True, period_end__lt=cutoff) | Q(grace_until__lt=cutoff))
        .select_related("account", "did")
        .only("pk", "status", "grace_until", "period_start", "period_end", "billing_type", "billing_days",
              "account__id", "account__number", "account__name", "did__id", "did__number")
        .order_by("account__number", "did__number", "pk")
    )
    findings = []
    for s in subs:
        late = now - (s.period_end if s.grace_until is None else s.grace_until)
        ago = _ago(late)
        if s.grace_until is not None:
            start, end = s.period_end, s.period_end + timedelta(days=s.billing_days)
            detail = f"suspended; its grace ended at {when(s.grace_until)} ({ago} ago) and it was never released"
        elif s.billing_type == DID.BillingType.ONE_TIME:
            start, end = s.period_start, s.period_end
            detail = f"One Time period ended at {when(s.period_end)} ({ago} ago) and it was never ended"
        else:
            start, end = s.period_end, s.period_end + timedelta(days=s.billing_days)
            detail = f"the period from {when(s.period_end)} started {ago} ago and was not charged"
        findings.append(_finding("overdue", s.pk, s.status, s.grace_until, s.account.id, s.account.number,
                                 s.account.name, s.did.id, s.did.number, start, end, detail))
    return findings


def _ago(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def _balance(row: BalanceMismatch) -> BalanceFinding:
    return BalanceFinding(row.account_id, row.number, row.name, row.balance, row.ledger_total)
