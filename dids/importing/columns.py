"""Which CSV column is which DID field: by header name, never by position.

The export's headers (the Create Product form's labels, e.g. "MonthlyFee (USD)")
are accepted as they are, plus the names carriers' spreadsheets tend to use.
Headers are compared in a loose form: lower case, letters and digits only, a
trailing "(USD)" or "(Sec.)" ignored, so "Monthly Fee", "monthly_fee" and
"MonthlyFee (USD)" are one column.
"""

from dataclasses import dataclass

from dids.export import COLUMNS as EXPORT_COLUMNS
from dids.importing.matching import loose
from dids.importing.reader import FileError

ALIASES = {
    "number": ["DID", "Number", "DID Number", "Phone", "Phone Number", "E164", "TN", "Telephone Number"],
    "category": ["Product Category", "Category"],
    "provider": ["Provider", "Provider Name", "Carrier", "Vendor", "Supplier"],
    "country": ["Country", "Country Code", "ISO", "ISO Country"],
    "city": ["City", "Rate Center", "Ratecenter", "Town"],
    "province": ["Province", "State", "Region"],
    "buy_cost": ["Buy Cost", "Cost", "Monthly Cost", "Carrier Cost"],
    "status": ["Status", "Active"],
    "connection_cost": ["Connection Cost", "Connect Fee"],
    "grace_time": ["Grace Time", "Grace"],
    "cost_per_min": ["Cost/Min", "Cost per Min", "Cost per Minute", "Per Minute", "Rate"],
    "initial_increment": ["Initial Increment", "Initial Block"],
    "increment": ["Increment", "Billing Increment"],
    "setup_fee": ["Setup Fee", "Setup", "NRC", "One Time Fee"],
    "monthly_fee": ["MonthlyFee", "Monthly Fee", "Monthly", "MRC", "Price"],
    "call_timeout": ["Call Timeout", "Timeout"],
    "billing_type": ["Billing Type"],
    "billing_days": ["Billing Days", "Billing Period", "Period Days"],
    "concurrent_calls": ["Concurrent Calls", "Channels", "Max Channels"],
}
# Without these a row cannot be a product: the seed stars DID and MonthlyFee
# (Billing Days, also starred, has the form's default of 30).
REQUIRED = ("number", "monthly_fee")

def _lookup() -> dict[str, str]:
    table = {}
    for field, names in ALIASES.items():
        for name in names + [field]:
            table[loose(name)] = field
    for header, field in EXPORT_COLUMNS:
        table[loose(header)] = field.split("__")[0]  # provider__name -> provider
    return table


LOOKUP = _lookup()
LABEL = {field.split("__")[0]: header for header, field in EXPORT_COLUMNS}


@dataclass
class ColumnMap:
    positions: dict[str, int]  # field -> column index
    ignored: list[str]  # headers we do not know, reported, not fatal


class HeaderError(FileError):
    """The header row cannot be used; the whole file is refused with this message."""


def map_header(header: list[str]) -> ColumnMap:
    positions: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(header):
        if not name.strip():
            continue
        field = LOOKUP.get(loose(name))
        if field is None:
            ignored.append(name.strip())
        elif field in positions:
            raise HeaderError(f"Two columns mean {LABEL[field]}: “{header[positions[field]].strip()}” and “{name.strip()}”.")
        else:
            positions[field] = index
    missing = [LABEL[f] for f in REQUIRED if f not in positions]
    if missing:
        raise HeaderError(
            f"The first line must name the columns; missing: {', '.join(missing)}. "
            f"Column names are those of Export CSV, e.g. {', '.join(LABEL[f] for f in ('number', 'provider', 'monthly_fee'))}."
        )
    return ColumnMap(positions, ignored)
