"""CSV rows of the reseller and customer panel's lists: DIDs (one's own, and a reseller's account's)
and Buy DIDs. Each takes the page's own filtered, sorted queryset and reads it with ``values_list``
in chunks: one query whatever the number of rows, constant memory.

As every CSV of the portal (core/csv_stream.py): DID numbers in E.164 ('+18555801802',
core.phone.csv_number), countries as their ISO codes (as the DID catalogue's CSV), money with 4
places and no thousands separator (core.money.fmt), times as YYYY-MM-DD HH:MM:SS in the portal's
time zone, typed text (cities, names) through spreadsheet_safe.
"""

from collections.abc import Iterator

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from billing.models import Subscription
from core.csv_stream import spreadsheet_safe
from core.money import fmt
from core.phone import csv_number
from dids.models import DID

BILLING_TYPES = dict(DID.BillingType.choices)

MY_DIDS_HEADER = ["DID", "Country", "City", "Province", "Setup Fee (USD)", "Price (USD)", "Billing Type",
                  "Billing Days", "Paid until", "Suspended until"]
SOLD_TO_HEADER = ["Sold to", "Sold to account number"]
SOLD_ON_HEADER = ["Sold on"]
BUY_DIDS_HEADER = ["DID", "Country", "City", "Province", "Setup Fee (USD)", "Price (USD)", "Billing Type",
                   "Billing Days"]


def when(value) -> str:
    """A time as the CSVs write it (blank for none)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _sold_on(field: str):
    """The active subscription sold on from each row's (at most one: sub_one_buyer_per_seller)."""
    child = Subscription.objects.filter(parent=OuterRef("pk"), status=Subscription.Status.ACTIVE)
    return Subquery(child.values(field)[:1])


def held_dids_rows(subs, *, sold_to: bool = False, sold_on: bool = False) -> Iterator[list]:
    """The DIDs page's rows (``subs``: its filtered, sorted Subscriptions). ``sold_to``: the account
    each is sold on to (one's own DIDs page); ``sold_on``: only whether it is (a reseller's view of
    its sub-reseller's DIDs: whom to is the sub-reseller's business)."""
    subs = subs.annotate(sold_to_name=_sold_on("account__name"), sold_to_number=_sold_on("account__number"))
    fields = ["did__number", "did__country", "did__city", "did__province", "setup_fee", "price", "billing_type",
              "billing_days", "period_end", "grace_until", "sold_to_name", "sold_to_number"]
    for (number, country, city, province, setup_fee, price, billing_type, billing_days, period_end, grace_until,
         sold_to_name, sold_to_number) in subs.values_list(*fields).iterator(chunk_size=2000):
        row = [csv_number(number), country, spreadsheet_safe(city), spreadsheet_safe(province), fmt(setup_fee),
               fmt(price), BILLING_TYPES.get(billing_type, billing_type), billing_days, when(period_end),
               when(grace_until)]
        if sold_to:
            row += [spreadsheet_safe(sold_to_name or ""), sold_to_number or ""]
        if sold_on:
            row.append("Yes" if sold_to_number else "No")
        yield row


def offer_csv_rows(pool) -> Iterator[list]:
    """Buy DIDs' rows: ``pool`` is the page's searched, sorted pool with this buyer's prices
    (billing/subscriptions/offers.py with_buyer_prices: the one price rule, in SQL; nothing is priced here)."""
    fields = ["number", "country", "city", "province", "buy_setup_fee", "buy_price", "billing_type", "billing_days"]
    for number, country, city, province, setup_fee, price, billing_type, billing_days in (
            pool.values_list(*fields).iterator(chunk_size=2000)):
        yield [csv_number(number), country, spreadsheet_safe(city), spreadsheet_safe(province), fmt(setup_fee),
               fmt(price), BILLING_TYPES.get(billing_type, billing_type), billing_days]
