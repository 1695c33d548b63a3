"""The DID list as CSV: the filtered, sorted rows with the Create Product form's
labels as the header, so a file exported here is a file the import takes back.

Values come from ``values_list`` in chunks (no model objects), so a million rows
stream in constant memory.
"""

from collections.abc import Iterator

from core.csv_stream import spreadsheet_safe
from core.money import fmt
from dids.models import DID

# (header, field) in the order of the Create Product form.
COLUMNS = [
    ("Product Category", "category"),
    ("DID", "number"),
    ("Provider", "provider__name"),
    ("Country", "country"),
    ("City", "city"),
    ("Province", "province"),
    ("Buy Cost (USD)", "buy_cost"),
    ("Status", "status"),
    ("Connection Cost (USD)", "connection_cost"),
    ("Grace Time (Sec.)", "grace_time"),
    ("Cost/Min(USD)", "cost_per_min"),
    ("Initial Increment", "initial_increment"),
    ("Increment", "increment"),
    ("Setup Fee (USD)", "setup_fee"),
    ("MonthlyFee (USD)", "monthly_fee"),
    ("Call Timeout (Sec.)", "call_timeout"),
    ("Billing Type", "billing_type"),
    ("Billing Days", "billing_days"),
    ("Concurrent Calls", "concurrent_calls"),
]
HEADER = [header for header, _ in COLUMNS]
MONEY = {"buy_cost", "connection_cost", "cost_per_min", "setup_fee", "monthly_fee"}
# Typed text: made spreadsheet-safe (core/csv_stream.py), which the import undoes.
TEXT = {"provider__name", "city", "province"}
LABELS = {
    "status": dict(DID.Status.choices),
    "billing_type": dict(DID.BillingType.choices),
    "category": dict(DID._meta.get_field("category").choices or []),
}


def did_rows(queryset) -> Iterator[list]:
    """One list of display values per DID (money with 4 places, choices as labelled on the form)."""
    fields = [field for _, field in COLUMNS]
    for values in queryset.values_list(*fields).iterator(chunk_size=2000):
        yield [_show(field, value) for field, value in zip(fields, values)]


def _show(field: str, value):
    if value is None:
        return ""
    if field in MONEY:
        return fmt(value)
    if field in LABELS:
        return LABELS[field].get(value, value)
    if field in TEXT:
        return spreadsheet_safe(value)
    return str(value)
