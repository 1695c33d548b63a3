"""The figures of each role's home page (issue 17): services only, no pages.

Each dashboard costs a fixed number of queries whatever the data (tests/dashboards/
test_query_budgets.py), and none reads a million-row table from end to end:

- DIDs and calls are counted as the lists count them (core/listing.py): exactly up to the
  exact-count limit, in one statement with one capped sub-count per figure; a count at the cap
  is PostgreSQL's planner estimate instead (one EXPLAIN per such figure, nothing read), shown
  as "about N" like the list behind it.
- Money comes from the ledger, through its (account, created_at) index: only the entries of the
  months shown, of the accounts concerned. Sums are exact decimals (core/money.py).
- Renewals come through the billing run's own index (sub_due: active subscriptions by
  period_end); subscriptions in grace, accounts and their thresholds are small tables.

The operator's revenue is what the accounts directly under it were charged, as the ledger says:
setup fees, first periods, renewals and call charges. Its margin is that revenue less the
provider's Buy Cost of each DID period charged (a first period or a renewal: one Buy Cost each);
the providers' own call costs are not known to the portal, so calls count as margin in full.
A reseller's margin in a month is what it earned (sales to the accounts below, their calls)
less what it paid (its own setup fees, periods and calls), from its own ledger: real money per
calendar month, whatever each DID's Billing Days.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connections, router
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from accounts.models import Account
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.holdings import SHORT_OF_FUNDS, renewals_due
from core import listing
from core.money import quantize
from dids.models import DID, pointing_at_did

K = LedgerEntry.Kind
ACTIVE = Subscription.Status.ACTIVE
AMOUNT = DecimalField(max_digits=16, decimal_places=4)
ZERO = Value(Decimal("0"), output_field=AMOUNT)
RENEWAL_DAYS = 7  # "renewals due": within this many days
SOLD_DAYS = 30  # the admin's "DIDs sold per day" chart
MONTHS = 12  # the money charts
LIST_ROWS = 5  # rows of the short lists on a dashboard (the full list is a link away)
CLOSED_MONTHS_SECONDS = 32 * 24 * 3600  # the key names the current month: a new month makes a new key

# What the operator is paid by the accounts directly under it, and what a reseller pays or earns.
REVENUE_KINDS = (K.SETUP_FEE, K.DID_PRICE, K.RENEWAL, K.CALL_CHARGES)
PERIOD_KINDS = (K.DID_PRICE, K.RENEWAL)  # one DID period each: one provider Buy Cost
EARNED_KINDS = (K.SALE, K.CALL_SALES)
PAID_KINDS = REVENUE_KINDS


def _call_models():
    """Call and CallCharge: calls sits above billing (docs/architecture.md), so they are found
    through the relations that point at a DID and at an account, as dids finds billing's rows."""
    call = pointing_at_did("calls")
    return call, call._meta.get_field("charges").related_model


# --- counting like the lists ------------------------------------------------------------------

@dataclass(frozen=True)
class Tally:
    value: int
    estimated: bool = False  # PostgreSQL's estimate: the exact count stopped at the limit

    @property
    def text(self) -> str:
        return f"about {self.value:,}" if self.estimated else f"{self.value:,}"


def capped_counts(querysets: list[QuerySet]) -> list[Tally]:
    """Each queryset's row count: exact up to the lists' exact-count limit, all of them in one
    statement; an estimate (one EXPLAIN each) for those above it."""
    if not querysets:
        return []
    limit = listing.exact_count_limit()
    db = router.db_for_read(querysets[0].model)
    parts, params = [], []
    for queryset in querysets:
        sql, sub_params = queryset.order_by().values("pk")[: limit + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")
        params.extend(sub_params)
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        exact = cursor.fetchone()
    counts = []
    for queryset, value in zip(querysets, exact):
        if value <= limit or connections[db].vendor != "postgresql":
            counts.append(Tally(value))
        else:  # never shown below what is known to exist
            counts.append(Tally(max(listing.estimate_rows(queryset), limit + 1), estimated=True))
    return counts


# --- shared pieces ----------------------------------------------------------------------------

def _amount(expression):
    return ExpressionWrapper(expression, output_field=AMOUNT)


def _sum(expression, **filters):
    return Coalesce(Sum(_amount(expression), **filters), ZERO)


def month_starts(now: datetime, months: int = MONTHS) -> list[datetime]:
    """The first instants of the last ``months`` calendar months (local time), oldest first."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    starts = []
    for _ in range(months):
        starts.append(local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _month_key(value) -> tuple[int, int]:
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.year, value.month


@dataclass(frozen=True)
class MonthMoney:
    start: datetime
    revenue: Decimal = Decimal("0.0000")  # the operator's revenue; a reseller's earnings
    cost: Decimal = Decimal("0.0000")  # the providers' Buy Cost; what a reseller paid

    @property
    def margin(self) -> Decimal:
        return quantize(self.revenue - self.cost)

    @property
    def label(self) -> str:
        return f"{self.start:%b %Y}"


def _by_month(rows, starts: list[datetime]) -> list[MonthMoney]:
    found = {_month_key(row["month"]): row for row in rows}
    out = []
    for start in starts:
        row = found.get(_month_key(start))
        out.append(MonthMoney(start, quantize(row["revenue"]), quantize(row["cost"])) if row else MonthMoney(start))
    return out


def _monthly(entries: QuerySet, scope: str, now: datetime, **sums) -> list[MonthMoney]:
    """``sums`` of ``entries`` per calendar month over the last MONTHS months, in one query.

    The months before the current one are kept in the cache once summed: the ledger is append-only
    (the database refuses UPDATE and DELETE) and an entry's created_at is the time it was written,
    so a month that has ended never changes. Each page view then sums the current month only,
    instead of a year of entries (half a million for a busy account: bench/dashboard.py)."""
    starts = month_starts(now)
    sealed = month_starts(timezone.now(), 1)[0]  # the real current month, whatever ``now`` says
    key = f"dashboards:months:{scope}:{starts[0]:%Y-%m}:{sealed:%Y-%m}"
    closed = cache.get(key) if starts[0] < sealed else None
    since = sealed if closed is not None else starts[0]
    rows = list(entries.filter(created_at__gte=since, created_at__lte=now)
                .annotate(month=TruncMonth("created_at")).values("month").annotate(**sums).order_by("month"))
    if closed is None and starts[0] < sealed:
        closed = [row for row in rows if row["month"] < sealed]
        cache.set(key, closed, CLOSED_MONTHS_SECONDS)
        rows = [row for row in rows if row["month"] >= sealed]
    return _by_month((closed or []) + rows, starts)


@dataclass(frozen=True)
class Renewals:
    due: int  # recurring subscriptions renewing within RENEWAL_DAYS
    short: int  # of those, renewals the account's funds (balance + credit limit) do not cover
    next: list = field(default_factory=list)  # the first few (subscriptions), soonest first


def _renewals(subscriptions: QuerySet, now: datetime, short_first: bool) -> Renewals:
    """Renewals due within RENEWAL_DAYS among ``subscriptions``, and those short of funds
    (billing/subscriptions/holdings.py: the billing run's notice uses the same rule)."""
    due = renewals_due(subscriptions, now, timedelta(days=RENEWAL_DAYS))
    short = SHORT_OF_FUNDS
    totals = due.aggregate(due=Count("pk"), short=Count("pk", filter=short))
    rows = due.filter(short) if short_first else due
    # By period_end alone, the order of the billing run's index (sub_due): the first rows, no sort of them all.
    next_rows = list(rows.select_related("did", "account").order_by("period_end")[:LIST_ROWS])
    return Renewals(totals["due"], totals["short"], next_rows)


def _today_start(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


# --- the admin's ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AdminDashboard:
    now: datetime
    dids_free: Tally
    dids_sold: Tally
    dids_inactive: Tally
    dids_suspended: int  # held, renewal unpaid: in their grace period
    calls_today: Tally
    months: list[MonthMoney]  # MONTHS, oldest first; the last is this month
    sold_per_day: list[tuple]  # (date, DIDs bought from the operator that day), SOLD_DAYS, oldest first
    renewals: Renewals  # ``next``: the first renewals short of funds
    low_balance_count: int
    low_balance: list  # the first accounts below their threshold, lowest balance first

    @property
    def this_month(self) -> MonthMoney:
        return self.months[-1]

    @property
    def last_month(self) -> MonthMoney:
        return self.months[-2]


def admin_dashboard(now: datetime | None = None) -> AdminDashboard:
    now = now or timezone.now()
    call_model, _ = _call_models()
    free, sold, inactive, calls_today = capped_counts([
        DID.objects.filter(holder__isnull=True, status=DID.Status.ACTIVE),
        DID.objects.filter(holder__isnull=False),
        DID.objects.filter(status=DID.Status.INACTIVE),
        call_model.objects.filter(started_at__gte=_today_start(now), started_at__lte=now),
    ])
    suspended = (Subscription.objects.filter(status=ACTIVE, grace_until__isnull=False)
                 .aggregate(n=Count("did", distinct=True))["n"])
    low = Account.objects.filter(low_balance_threshold__isnull=False, balance__lt=F("low_balance_threshold"))
    return AdminDashboard(
        now=now, dids_free=free, dids_sold=sold, dids_inactive=inactive, dids_suspended=suspended,
        calls_today=calls_today, months=operator_months(now), sold_per_day=sold_per_day(now),
        renewals=_renewals(Subscription.objects.all(), now, short_first=True),
        low_balance_count=low.count(), low_balance=list(low.order_by("balance", "name")[:LIST_ROWS]),
    )


def operator_months(now: datetime) -> list[MonthMoney]:
    """The operator's revenue and provider cost per calendar month, one query."""
    entries = LedgerEntry.objects.filter(account__parent__isnull=True, kind__in=REVENUE_KINDS)
    return _monthly(entries, "operator", now, revenue=_sum(-F("amount")),
                    cost=_sum(F("did__buy_cost"), filter=Q(kind__in=PERIOD_KINDS)))


def sold_per_day(now: datetime) -> list[tuple]:
    """DIDs bought from the operator on each of the last SOLD_DAYS days (local dates), one query."""
    today = timezone.localtime(now).date()
    first = today - timedelta(days=SOLD_DAYS - 1)
    start = _today_start(now) - timedelta(days=SOLD_DAYS - 1)
    rows = (
        Subscription.objects.filter(parent__isnull=True, started_at__gte=start, started_at__lte=now)
        .annotate(day=TruncDate("started_at", tzinfo=timezone.get_current_timezone())).values("day")
        .annotate(n=Count("pk")).order_by("day")
    )
    found = {row["day"]: row["n"] for row in rows}
    return [(first + timedelta(days=i), found.get(first + timedelta(days=i), 0)) for i in range(SOLD_DAYS)]


# --- a reseller's and a customer's ------------------------------------------------------------

@dataclass(frozen=True)
class AccountDashboard:
    account: Account
    now: datetime
    numbers: int  # DIDs it holds (active subscriptions, suspended ones included)
    suspended: int  # of those, in their grace period (renewal unpaid)
    renewals: Renewals  # ``next``: the soonest renewals
    sold_on: int = 0  # of those, sold on to an account below (resellers)
    customers: int = 0  # accounts directly below (resellers)
    sub_resellers: int = 0
    months: list = field(default_factory=list)  # a reseller's earnings/payments per month
    calls_month: Tally = Tally(0)  # a customer's calls since the start of this month
    calls_today: Tally = Tally(0)

    @property
    def available(self) -> Decimal:
        return quantize(self.account.balance.amount + self.account.credit_limit.amount)

    @property
    def this_month(self) -> MonthMoney | None:
        return self.months[-1] if self.months else None


def _holdings(account: Account) -> dict:
    held = Subscription.objects.filter(account=account, status=ACTIVE)
    return held.aggregate(numbers=Count("pk"), suspended=Count("pk", filter=Q(grace_until__isnull=False)))


def _sold_on(account: Account) -> int:
    """Its DIDs sold on: counted from the buyers' side (the few subscriptions below it), not by
    joining every one of its holdings to its children."""
    return Subscription.objects.filter(status=ACTIVE, parent__account=account, parent__status=ACTIVE).count()


def account_months(account: Account, now: datetime) -> list[MonthMoney]:
    """What the account earned and paid per calendar month, from its own ledger, one query."""
    entries = LedgerEntry.objects.filter(account=account, kind__in=EARNED_KINDS + PAID_KINDS)
    return _monthly(entries, f"account:{account.pk}", now,
                    revenue=_sum(F("amount"), filter=Q(kind__in=EARNED_KINDS)),
                    cost=_sum(-F("amount"), filter=Q(kind__in=PAID_KINDS)))


def reseller_dashboard(account: Account, now: datetime | None = None) -> AccountDashboard:
    now = now or timezone.now()
    below = Account.objects.filter(parent=account).aggregate(
        customers=Count("pk", filter=Q(kind=Account.Kind.CUSTOMER)),
        resellers=Count("pk", filter=Q(kind=Account.Kind.RESELLER)),
    )
    return AccountDashboard(
        account=account, now=now, **_holdings(account), sold_on=_sold_on(account),
        renewals=_renewals(Subscription.objects.filter(account=account), now, short_first=False),
        customers=below["customers"], sub_resellers=below["resellers"], months=account_months(account, now),
    )


def customer_dashboard(account: Account, now: datetime | None = None) -> AccountDashboard:
    now = now or timezone.now()
    _, charge_model = _call_models()
    calls = charge_model.objects.filter(account=account, started_at__lte=now)
    # Counted like the calls list counts them (a busy line has hundreds of thousands a month);
    # what they cost is on the statement.
    month, today = capped_counts([calls.filter(started_at__gte=month_starts(now, 1)[0]),
                                  calls.filter(started_at__gte=_today_start(now))])
    return AccountDashboard(
        account=account, now=now, **_holdings(account),
        renewals=_renewals(Subscription.objects.filter(account=account), now, short_first=False),
        calls_month=month, calls_today=today,
    )
