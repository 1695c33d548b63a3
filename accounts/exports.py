"""The admin's account list (/accounts/manage/) as CSV: the page's columns (and the parent's
account number), every account the search finds, read with ``values_list`` in chunks (one query
whatever the number of rows). Money with 4 places (core.money.fmt), names through spreadsheet_safe."""

from collections.abc import Iterator

from django.utils import timezone

from accounts.models import Account
from core.csv_stream import spreadsheet_safe
from core.money import fmt

CSV_HEADER = ["Account number", "Name", "Type", "Parent", "Parent account number", "E-mail", "Balance (USD)",
              "Credit limit (USD)", "Status", "Created"]
KINDS = dict(Account.Kind.choices)
STATUSES = dict(Account.Status.choices)


def account_rows(accounts) -> Iterator[list]:
    fields = ["number", "name", "kind", "parent__name", "parent__number", "email", "balance", "credit_limit",
              "status", "created_at"]
    for number, name, kind, parent_name, parent_number, email, balance, credit_limit, status, created_at in (
            accounts.values_list(*fields).iterator(chunk_size=2000)):
        yield [number, spreadsheet_safe(name), KINDS.get(kind, kind),
               spreadsheet_safe(parent_name) if parent_name else "Operator", parent_number or "",
               spreadsheet_safe(email or ""), fmt(balance), fmt(credit_limit), STATUSES.get(status, status),
               timezone.localtime(created_at).strftime("%Y-%m-%d %H:%M")]
