"""Margins: per DID and per account, what a holder pays and what it earns per period.

Each active Subscription is one account's hold on one DID: ``price`` is what it
pays its seller per period (its own Billing Days). It earns the ``price`` of the
active subscription below it (``parent`` = its subscription), if it sold the DID on.
The operator earns the top-level subscriptions' price and pays the provider's
Buy Cost.

Amounts are per period: each DID has its own Billing Days, so a sum is "one period
of each DID", not a month. Everything is computed in SQL (annotations and
subqueries), so a page costs a fixed number of queries whatever its length.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case, Count, DecimalField, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When,
)
from django.db.models.functions import Coalesce

from accounts.models import Account
from billing.models import Subscription
from core.money import quantize

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


def _amount(expression):
    return ExpressionWrapper(expression, output_field=AMOUNT)


def _active_child():
    """The active subscription sold on from the outer subscription (at most one: sub_one_buyer_per_seller)."""
    return Subscription.objects.filter(parent=OuterRef("pk"), status=ACTIVE)


def account_margin_rows(account):
    """The account's active subscriptions, each annotated with
    ``pays`` (its price), ``earns`` (the active child's price, None when not sold on),
    ``margin`` (earns - pays, None when not sold on), ``is_sold`` (0/1) and
    ``sold_to_id``. ``did`` is selected; ``billing_days`` is the subscription's own.
    Call :func:`attach_sold_to` on the page's rows for the buyer accounts."""
    child = _active_child()
    return (
        Subscription.objects.filter(account=account, status=ACTIVE)
        .select_related("did")
        .annotate(
            pays=_amount(F("price")),
            earns=Subquery(child.values("price")[:1], output_field=AMOUNT),
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
    """Sums of one period of each DID. ``margin`` = earns - pays over all rows, so a
    DID held but not sold on counts as a cost (``unsold_pays`` says how much of it)."""

    held: int
    sold: int
    pays: Decimal
    earns: Decimal
    unsold_pays: Decimal

    @property
    def margin(self) -> Decimal:
        return quantize(self.earns - self.pays)


def account_margin_totals(account) -> Totals:
    """The account's per-period totals in one query."""
    child = _active_child()
    # The annotation needs its own name: aggregate() names would shadow it.
    sums = Subscription.objects.filter(account=account, status=ACTIVE).annotate(
        child_price=Subquery(child.values("price")[:1], output_field=AMOUNT),
    ).aggregate(
        held=Count("pk"),
        sold=Count("pk", filter=Q(child_price__isnull=False)),
        pays=Coalesce(Sum("price", output_field=AMOUNT), ZERO),
        earns=Coalesce(Sum("child_price", output_field=AMOUNT), ZERO),
        unsold_pays=Coalesce(Sum("price", filter=Q(child_price__isnull=True), output_field=AMOUNT), ZERO),
    )
    return Totals(
        held=sums["held"], sold=sums["sold"], pays=quantize(sums["pays"]), earns=quantize(sums["earns"]),
        unsold_pays=quantize(sums["unsold_pays"]),
    )


def _per_account(queryset, value):
    """One value per outer account from ``queryset`` (already filtered by it), aggregated in SQL."""
    return queryset.order_by().values("account_id").annotate(v=value).values("v")[:1]


def reseller_margin_summary():
    """One row per account (reseller or customer) holding at least one active
    subscription: Account objects annotated with ``held``, ``sold``, ``pays``,
    ``earns``, ``margin`` (= earns - pays, so unsold DIDs count as cost) and
    ``resells`` (1 for a reseller, 0 for a customer)."""
    own = Subscription.objects.filter(account=OuterRef("pk"), status=ACTIVE)
    sold_on = Subscription.objects.filter(
        parent__account=OuterRef("pk"), parent__status=ACTIVE, status=ACTIVE
    )
    # Group the sold-on rows by the seller: parent__account, not the buyer's account.
    earned = sold_on.order_by().values("parent__account_id").annotate(v=Sum("price")).values("v")[:1]
    return (
        Account.objects.filter(Exists(own))
        .select_related("parent")
        .annotate(
            held=Subquery(_per_account(own, Count("pk")), output_field=IntegerField()),
            sold=Coalesce(
                Subquery(sold_on.order_by().values("parent__account_id").annotate(v=Count("pk")).values("v")[:1],
                         output_field=IntegerField()),
                0,
            ),
            pays=Coalesce(Subquery(_per_account(own, Sum("price")), output_field=AMOUNT), ZERO),
            earns=Coalesce(Subquery(earned, output_field=AMOUNT), ZERO),
            resells=Case(When(kind=Account.Kind.RESELLER, then=Value(1)), default=Value(0),
                         output_field=IntegerField()),
        )
        .annotate(margin=_amount(F("earns") - F("pays")))
    )


@dataclass(frozen=True)
class OperatorRow:
    """The operator: DIDs sold to top-level accounts, what they pay it per period
    (``earns``) and the provider's Buy Cost of those DIDs (``pays``)."""

    sold: int
    earns: Decimal
    pays: Decimal

    @property
    def margin(self) -> Decimal:
        return quantize(self.earns - self.pays)


def operator_margin() -> OperatorRow:
    """The operator's row in one query."""
    sums = Subscription.objects.filter(status=ACTIVE, parent__isnull=True).aggregate(
        sold=Count("pk"),
        earns=Coalesce(Sum("price", output_field=AMOUNT), ZERO),
        pays=Coalesce(Sum("did__buy_cost", output_field=AMOUNT), ZERO),
    )
    return OperatorRow(sold=sums["sold"], earns=quantize(sums["earns"]), pays=quantize(sums["pays"]))
