"""Which CSV column is which DID field: by header name, never by position, on the
shared column matching (core/importing/matching.py), with the admin's choices on top.

The export's headers (the Create Product form's labels, e.g. "MonthlyFee (USD)")
come first, then the names carriers' and number providers' sheets use, preferred
first: when two columns mean one field the preferred name wins and the preview
says so. Headers are compared loosely ("Monthly Fee", "monthly_fee" and
"MonthlyFee (USD)" are one column).

Carrier price terms (MRC, NRC and their spelled-out forms) do not say whose price
they are: they are matched only once the admin has said whether the file's prices
are the provider's cost (MRC -> Buy Cost; NRC has no provider-side field and is not
imported) or our sell price (MRC -> MonthlyFee, NRC -> Setup Fee). Until then the
file is not imported. A plain ``Price`` is our MonthlyFee, as it always was, and the
preview's matching table shows it.
"""

from dataclasses import dataclass, field
from functools import lru_cache

from dids.export import COLUMNS as EXPORT_COLUMNS
from core.importing.matching import IGNORE, Field, Match, Matcher, loose  # noqa: F401  (loose: the CDR import's)
from core.importing.reader import FileError

LABEL = {name.split("__")[0]: header for header, name in EXPORT_COLUMNS}  # provider__name -> provider

# After the label and the field's name, in order of preference.
ALIASES = {
    "category": ["Category"],
    "number": ["Number", "DID Number", "Phone Number", "Telephone Number", "TN", "E164", "E.164", "MSISDN", "Phone"],
    "provider": ["Provider Name", "Carrier", "Vendor", "Supplier"],
    "country": ["ISO Country", "Country ISO", "ISO", "Country Name", "Country Code"],
    "city": ["Rate Center", "Ratecenter", "City Name", "Locality", "Town"],
    "province": ["State", "State/Province", "Region", "State Name"],
    "buy_cost": ["Cost", "Monthly Cost", "Carrier Cost", "Provider Cost", "Buy Price"],
    "status": ["Active"],
    "connection_cost": ["Connect Fee", "Connection Fee"],
    "grace_time": ["Grace"],
    "cost_per_min": ["Cost per Min", "Cost per Minute", "Per Minute", "Rate"],
    "initial_increment": ["Initial Block"],
    "increment": ["Billing Increment"],
    "setup_fee": ["Setup", "Setup Price", "One Time Fee"],
    "monthly_fee": ["MonthlyFee", "Monthly Fee", "Monthly Price", "Price", "Monthly", "Sell Price"],
    "call_timeout": ["Timeout"],
    "billing_type": [],
    "billing_days": ["Billing Period", "Period Days"],
    "concurrent_calls": ["Channels", "Max Channels"],
}
# Without these a row cannot be a product: the seed stars DID and MonthlyFee (Billing
# Days, also starred, has the form's default of 30). MonthlyFee may come from a default.
REQUIRED = ("number", "monthly_fee")

# Carrier terms whose side is not known: a monthly and a one-time charge.
MONTHLY_TERMS = ("MRC", "Monthly Recurring Charge", "Monthly Recurring Cost", "Monthly Recurring", "Recurring Charge")
ONCE_TERMS = ("NRC", "Non-Recurring Charge", "Non-Recurring Cost", "Non-Recurring", "One-Time Charge")
_MONTHLY = {loose(term) for term in MONTHLY_TERMS}
_ONCE = {loose(term) for term in ONCE_TERMS}
COST, SELL = "cost", "sell"
PRICES = (COST, SELL)
# Where carrier terms go for each answer (a field name, or "" for not imported).
_SIDES = {COST: {"monthly": "buy_cost", "once": IGNORE}, SELL: {"monthly": "monthly_fee", "once": "setup_fee"}}


class HeaderError(FileError):
    """The header row cannot be used; the whole file is refused with this message."""


@lru_cache(maxsize=None)
def matcher(prices: str = "") -> Matcher:
    """The DID fields; with an answer, the carrier terms join the fields that answer gives them
    (last in preference: a file's own MonthlyFee column wins over its MRC)."""
    extra = {name: [] for name in ALIASES}
    for kind, terms in (("monthly", MONTHLY_TERMS), ("once", ONCE_TERMS)):
        target = _SIDES[prices][kind] if prices else IGNORE
        if target:
            extra[target] += terms
    return Matcher([Field(name, LABEL[name], tuple(aliases + extra[name]), required=name in REQUIRED)
                    for name, aliases in ALIASES.items()])


FIELD_CHOICES = [(name, LABEL[name]) for name in ALIASES]  # what a column may be used as, in the form's order


def price_kind(header_name: str) -> str | None:
    """'monthly' or 'once' for a carrier price term, else None."""
    name = loose(header_name)
    return "monthly" if name in _MONTHLY else "once" if name in _ONCE else None


@dataclass
class Plan:
    """How the file's columns will be read: the match, what the admin should know, and
    what must be settled before anything is checked or written."""

    match: Match
    prices: str  # the answer: "", COST or SELL
    price_columns: list[str]  # carrier price columns the answer decides (names in the file)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # from the matching: ties, one field chosen twice
    missing: list[str] = field(default_factory=list)  # labels of required fields with no column and no default

    @property
    def needs_prices(self) -> bool:
        return bool(self.price_columns) and not self.prices

    @property
    def complete(self) -> bool:
        return not self.problems and not self.missing and not self.needs_prices

    @property
    def used_as(self) -> list[str]:
        return self.match.used_as

    @property
    def positions(self) -> dict[str, int]:
        return self.match.positions

    @property
    def ignored(self) -> list[str]:
        return self.match.ignored

    def questions(self) -> list[str]:
        """Everything that stops the import, each a sentence (the command joins them on one line)."""
        questions = list(self.problems)
        if self.needs_prices:
            questions.append(f"{prices_question(self.price_columns)}")
        monthly = [name for name in self.price_columns if price_kind(name) == "monthly"] if self.needs_prices else []
        for label in self.missing:
            if label != LABEL["monthly_fee"]:
                questions.append(f"No column is used as {label}.")
            elif monthly:
                questions.append(f"No column is used as {label} yet: {', '.join(monthly)} becomes it if the "
                                 "prices are our sell price; if they are the provider's cost, give a value for rows "
                                 "without one.")
            else:
                questions.append(f"No column is used as {label} and no value is given for rows without one.")
        return questions


def prices_question(columns: list[str]) -> str:
    names = ", ".join(columns)
    return (f"Whose prices are {names}? Carrier sheets use these names for the provider's charges; they are "
            "imported once you say whether they are the provider's cost or our sell price.")


def plan(header: list[str], *, overrides: dict[int, str] | None = None, prices: str = "",
         has_default: set | frozenset = frozenset()) -> Plan:
    """Match the header. ``overrides``: column -> field (or "" for not used) chosen by the admin;
    ``prices``: the answer for carrier price terms; ``has_default``: fields given for every row."""
    overrides = dict(overrides or {})
    if prices and prices not in PRICES:
        raise ValueError(f"prices must be one of {PRICES}")
    found = matcher(prices)
    match = found.match(header, overrides, has_default)
    carrier = [i for i, name in enumerate(header) if price_kind(name) and i not in overrides]
    notes = found.notes(match)
    if prices == COST:
        once = [match.column_name(i) for i in carrier if price_kind(header[i]) == "once"]
        if once:
            notes.append(f"{', '.join(once)}: the provider's one-time charge has no field on a DID (Buy Cost is "
                         "monthly), so it is not imported; give a Setup Fee for what buyers pay once.")
    return Plan(match, prices, [match.column_name(i) for i in carrier], notes, list(match.problems),
                list(match.missing))


def refusal(found: Plan) -> str:
    """One paragraph saying why the file cannot be imported as matched."""
    if found.missing:
        examples = ", ".join(LABEL[f] for f in ("number", "provider", "monthly_fee"))
        head = (f"The first line must name the columns; missing: {', '.join(found.missing)}. "
                f"Column names are those of Export CSV, e.g. {examples}.")
        rest = [q for q in found.questions() if not q.startswith("No column is used as")]
        return " ".join([head] + rest)
    return " ".join(found.questions())
