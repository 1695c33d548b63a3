"""Margins: per DID and per account, what a holder pays and what it earns, per month.

Each active Subscription is one account's hold on one DID: ``price`` is what it
pays its seller per period (its own Billing Days). It earns the ``price`` of the
active subscription below it (``parent`` = its subscription), if it sold the DID on.
The operator earns the top-level subscriptions' price and pays the provider's cost
(the DID's Buy Cost, per period of the DID's Billing Days).

Periods differ (28, 30, 31 days...), so a sum of periods is no month. Every period
price is normalised to a month first: ``price * 30.44 / billing_days`` (30.44 days:
an average month, 365.25 / 12 = 30.4375 rounded), rounded to 4 places per subscription; sums are
sums of those rounded figures, so a page's total equals its rows. Setup fees are
paid once, at purchase: they are summed on their own (``setup_paid``,
``setup_earned``), never mixed into the monthly margin.

Everything is computed in SQL (annotations and subqueries), so a page costs a fixed
number of queries whatever its length.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case, Count, DecimalField, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When,
)
from django.db.models.functions import Coalesce, Round

from accounts.models import Account
from billing.models import Subscription
from core.money import PLACES, quantize

ACTIVE = Subscription.Status.ACTIVE
AMOUNT = DecimalField(max_digits=14, decimal_places=4)
ZERO = Value(Decimal("0"), output_field=AMOUNT)

# Sold rows sort after unsold ones ascending and before them descending, the same on
# SQLite and PostgreSQL (which put NULL earns/margins at opposite ends).
ROW_SORTS = {
    "number": ("did__number",),
    "pays": ("pays",),
    "earns": ("is_sold", "earns"),
    "margin": ("is_sold", "margin"),
}
ROW_DEFAULT_SORT = "number"

# Customers do not resell: the pages show no earns or margin for them, so they sort
# together at the low end instead of among the resellers by their (negative) margin.
SUMMARY_SORTS = {
    "name": ("name",),
    "number": ("number",),
    "held": ("held",),
    "sold": ("resells", "sold"),
    "pays": ("pays",),
    "earns": ("resells", "earns"),
    "margin": ("resells", "margin"),
}
SUMMARY_DEFAULT_SORT = "name"


# An average month: 365.25 days / 12 = 30.4375, rounded to 30.44.
# A period of ``days`` days is ``MONTH_DAYS / days`` months.
MONTH_DAYS = Decimal("30.44")


def per_month(price: Decimal, billing_days: int) -> Decimal:
    """A period price as a monthly figure: the rule the SQL below applies, for one value."""
    return quantize(Decimal(price) * MONTH_DAYS / billing_days)


def _amount(expression):
    return ExpressionWrapper(expression, output_field=AMOUNT)


def _monthly(price, days):
    """SQL for :func:`per_month`: ``price * 30.44 / days`` rounded to 4 places (half up for amounts >= 0)."""
    places = -PLACES.as_tuple().exponent
    return _amount(Round(_amount(F(price) * Value(MONTH_DAYS, output_field=AMOUNT) / F(days)), places))


def _active_child():
    """The active subscription sold on from the outer subscription (at most one: sub_one_buyer_per_seller)."""
    return Subscription.objects.filter(parent=OuterRef("pk"), status=ACTIVE)


def _held(**filters):
    """Active subscriptions with their monthly price (``monthly``)."""
    return Subscription.objects.filter(status=ACTIVE, **filters).annotate(monthly=_monthly("price", "billing_days"))


def account_margin_rows(account):
    """The account's active subscriptions, each annotated with, per month:
    ``pays`` (its price), ``earns`` (the active child's price, None when not sold on),
    ``margin`` (earns - pays, None when not sold on); once: ``setup_paid`` (its setup fee)
    and ``setup_earned`` (the child's, None when not sold on); and ``is_sold`` (0/1) and
    ``sold_to_id``. ``did`` is selected; ``billing_days`` is the subscription's own.
    Call :func:`attach_sold_to` on the page's rows for the buyer accounts."""
    child = _active_child().annotate(monthly=_monthly("price", "billing_days"))
    return (
        Subscription.objects.filter(account=account, status=ACTIVE)
        .select_related("did")
        .annotate(
            pays=_monthly("price", "billing_days"),
            earns=Subquery(child.values("monthly")[:1], output_field=AMOUNT),
            setup_paid=_amount(F("setup_fee")),
            setup_earned=Subquery(child.values("setup_fee")[:1], output_field=AMOUNT),
            sold_to_id=Subquery(child.values("account_id")[:1], output_field=IntegerField()),
        )
        .annotate(
            margin=_amount(F("earns") - F("pays")),
            is_sold=Exists(child),
        )
    )


def attach_sold_to(rows) -> list:
    """Set ``row.sold_to`` (an Account or None) on a page of rows: one query."""
    rows = list(rows)
    buyers = Account.objects.in_bulk({r.sold_to_id for r in rows if r.sold_to_id is not None})
    for row in rows:
        row.sold_to = buyers.get(row.sold_to_id)
    return rows


@dataclass(frozen=True)
class Totals:
    """Monthly sums over the account's DIDs. ``margin`` = earns - pays over all rows, so a
    DID held but not sold on counts as a cost (``unsold_pays`` says how much of it).
    Setup fees, paid once, are summed apart: ``setup_paid``, ``setup_earned``."""

    held: int
    sold: int
    pays: Decimal
    earns: Decimal
    unsold_pays: Decimal
    setup_paid: Decimal = Decimal("0.0000")
    setup_earned: Decimal = Decimal("0.0000")

    @property
    def margin(self) -> Decimal:
        return quantize(self.earns - self.pays)

    @property
    def setup_margin(self) -> Decimal:
        return quantize(self.setup_earned - self.setup_paid)


def account_margin_totals(account) -> Totals:
    """The account's monthly totals and its setup fees in one query."""
    child = _active_child().annotate(monthly=_monthly("price", "billing_days"))
    # The annotations need their own names: aggregate() names would shadow them.
    sums = _held(account=account).annotate(
        child_monthly=Subquery(child.values("monthly")[:1], output_field=AMOUNT),
        child_setup=Subquery(child.values("setup_fee")[:1], output_field=AMOUNT),
    ).aggregate(
        held=Count("pk"),
        sold=Count("pk", filter=Q(child_monthly__isnull=False)),
        pays=Coalesce(Sum("monthly", output_field=AMOUNT), ZERO),
        earns=Coalesce(Sum("child_monthly", output_field=AMOUNT), ZERO),
        unsold_pays=Coalesce(Sum("monthly", filter=Q(child_monthly__isnull=True), output_field=AMOUNT), ZERO),
        setup_paid=Coalesce(Sum("setup_fee", output_field=AMOUNT), ZERO),
        setup_earned=Coalesce(Sum("child_setup", output_field=AMOUNT), ZERO),
    )
    return Totals(**{name: value if name in ("held", "sold") else quantize(value) for name, value in sums.items()})


def _per_account(queryset, value):
    """One value per outer account from ``queryset`` (already filtered by it), aggregated in SQL."""
    return queryset.order_by().values("account_id").annotate(v=value).values("v")[:1]


def reseller_margin_summary():
    """One row per account (reseller or customer) holding at least one active
    subscription: Account objects annotated with ``held``, ``sold``, and per month
    ``pays``, ``earns``, ``margin`` (= earns - pays, so unsold DIDs count as cost);
    once: ``setup_paid``, ``setup_earned``; ``resells`` (1 for a reseller, 0 for a customer)."""
    own = _held(account=OuterRef("pk"))
    sold_on = _held(parent__account=OuterRef("pk"), parent__status=ACTIVE)

    def by_seller(value):
        # Group the sold-on rows by the seller: parent__account, not the buyer's account.
        return sold_on.order_by().values("parent__account_id").annotate(v=value).values("v")[:1]

    return (
        Account.objects.filter(Exists(own))
        .select_related("parent")
        .annotate(
            held=Subquery(_per_account(own, Count("pk")), output_field=IntegerField()),
            sold=Coalesce(Subquery(by_seller(Count("pk")), output_field=IntegerField()), 0),
            pays=Coalesce(Subquery(_per_account(own, Sum("monthly")), output_field=AMOUNT), ZERO),
            earns=Coalesce(Subquery(by_seller(Sum("monthly")), output_field=AMOUNT), ZERO),
            setup_paid=Coalesce(Subquery(_per_account(own, Sum("setup_fee")), output_field=AMOUNT), ZERO),
            setup_earned=Coalesce(Subquery(by_seller(Sum("setup_fee")), output_field=AMOUNT), ZERO),
            resells=Case(When(kind=Account.Kind.RESELLER, then=Value(1)), default=Value(0),
                         output_field=IntegerField()),
        )
        .annotate(margin=_amount(F("earns") - F("pays")))
    )


@dataclass(frozen=True)
class OperatorRow:
    """The operator, per month: DIDs sold to top-level accounts, what they pay it
    (``earns``) and the provider's cost of those DIDs (``pays``); once: the setup
    fees they paid it (``setup_earned``; providers charge the operator no setup fee here)."""

    sold: int
    earns: Decimal
    pays: Decimal
    setup_earned: Decimal = Decimal("0.0000")

    @property
    def margin(self) -> Decimal:
        return quantize(self.earns - self.pays)


def operator_margin() -> OperatorRow:
    """The operator's row in one query. The provider's cost is per period of the DID's Billing Days."""
    top_level = _held(parent__isnull=True).annotate(provider_monthly=_monthly("did__buy_cost", "did__billing_days"))
    sums = top_level.aggregate(
        sold=Count("pk"),
        earns=Coalesce(Sum("monthly", output_field=AMOUNT), ZERO),
        pays=Coalesce(Sum("provider_monthly", output_field=AMOUNT), ZERO),
        setup_earned=Coalesce(Sum("setup_fee", output_field=AMOUNT), ZERO),
    )
    return OperatorRow(sold=sums["sold"], earns=quantize(sums["earns"]), pays=quantize(sums["pays"]),
                       setup_earned=quantize(sums["setup_earned"]))
