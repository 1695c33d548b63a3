"""The margins pages as CSV: the same monthly figures (billing.prices.margins, normalised to a
30.44-day month in SQL), the same columns (countries as ISO codes), every row in the page's order.
``values_list`` in chunks: one query whatever the number of rows. Money with 4 places
(core.money.fmt), DIDs in E.164, names through spreadsheet_safe; a figure the page shows as "—"
(a customer does not resell, a DID not sold on) is blank."""

from collections.abc import Iterator

from django.db.models import OuterRef, Subquery

from accounts.models import Account
from core.csv_stream import spreadsheet_safe
from core.money import fmt
from core.phone import csv_number

SUMMARY_HEADER = ["Account number", "Name", "Type", "Bought from", "Bought from account number", "DIDs held",
                  "Pays / month (USD)", "DIDs sold on", "Earns / month (USD)", "Margin / month (USD)",
                  "Setup paid (USD)", "Setup earned (USD)"]
KINDS = dict(Account.Kind.choices)


def _money(value) -> str:
    return "" if value is None else fmt(value)


def summary_rows(accounts) -> Iterator[list]:
    """/margins/: ``accounts`` is billing.prices.margins.reseller_margin_summary(), sorted."""
    fields = ["number", "name", "kind", "parent__name", "parent__number", "held", "pays", "sold", "earns", "margin",
              "setup_paid", "setup_earned"]
    for (number, name, kind, parent_name, parent_number, held, pays, sold, earns, margin, setup_paid,
         setup_earned) in accounts.values_list(*fields).iterator(chunk_size=2000):
        resells = kind == Account.Kind.RESELLER
        yield [number, spreadsheet_safe(name), KINDS.get(kind, kind),
               spreadsheet_safe(parent_name) if parent_name else "Operator", parent_number or "", held, fmt(pays),
               sold if resells else "", _money(earns) if resells else "", _money(margin) if resells else "",
               fmt(setup_paid), _money(setup_earned) if resells else ""]


def account_header(resells: bool) -> list[str]:
    """One account's margins (/accounts/manage/<pk>/margins/, /portal/margins/): a customer's
    file has no sell side, as its page."""
    header = ["DID", "Country", "Billing Days", "Pays / month (USD)"]
    if resells:
        header += ["Sold to", "Sold to account number", "Earns / month (USD)", "Margin / month (USD)"]
    header.append("Setup paid (USD)")
    if resells:
        header.append("Setup earned (USD)")
    return header


def account_rows(rows, resells: bool) -> Iterator[list]:
    """``rows``: billing.prices.margins.account_margin_rows(account), sorted."""
    buyer = Account.objects.filter(pk=OuterRef("sold_to_id"))
    rows = rows.annotate(sold_to_name=Subquery(buyer.values("name")[:1]),
                         sold_to_number=Subquery(buyer.values("number")[:1]))
    fields = ["did__number", "did__country", "billing_days", "pays", "sold_to_name", "sold_to_number", "earns",
              "margin", "setup_paid", "setup_earned"]
    for (number, country, billing_days, pays, sold_to_name, sold_to_number, earns, margin, setup_paid,
         setup_earned) in rows.values_list(*fields).iterator(chunk_size=2000):
        row = [csv_number(number), country, billing_days, fmt(pays)]
        if resells:
            row += [spreadsheet_safe(sold_to_name or ""), sold_to_number or "", _money(earns), _money(margin)]
        row.append(fmt(setup_paid))
        if resells:
            row.append(_money(setup_earned))
        yield row
