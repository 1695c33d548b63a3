"""One CSV row -> the values of a DID, or the reason it is refused.

Plain functions instead of a Django form per row: a million rows must be checked
in seconds. The limits are read from the Create Product form's fields, so the
import and the form accept exactly the same values.
"""

import re
from functools import lru_cache, partial
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django_countries import countries

from billing_portal.csv_stream import as_typed
from dids.forms import DIDForm, MONEY_FIELDS
from dids.importing.columns import LABEL, ColumnMap
from dids.models import DID, Provider
from dids.numbers import normalize_did

WHOLE_FIELDS = ("grace_time", "initial_increment", "increment", "call_timeout", "billing_days", "concurrent_calls")
TEXT_FIELDS = {"city": 100, "province": 100}
# Every field a row sets, in the model's order (the writer's column order).
FIELDS = ("category", "number", "provider", "country", "city", "province", "buy_cost", "status") + tuple(
    f for f in ("connection_cost", "grace_time", "cost_per_min", "initial_increment", "increment", "setup_fee",
                "monthly_fee", "call_timeout", "billing_type", "billing_days", "concurrent_calls")
)

_MONEY = re.compile(r"^\$?\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:usd)?$", re.I)
_WHOLE = re.compile(r"^\d+$")
_PROVIDER_WITH_NUMBER = re.compile(r"^(?P<name>.*?)\s*\((?P<number>\d{10})\)$")  # "default provider (3673942894)"
_COUNTRY_CODES = {code for code, _ in countries}
_COUNTRY_BY_NAME = {name.lower(): code for code, name in countries}
# Short names spreadsheets use that differ from the ISO names.
_COUNTRY_BY_NAME.update({"united states": "US", "usa": "US", "uk": "GB", "great britain": "GB",
                         "england": "GB", "south korea": "KR", "korea": "KR"})
_STATUS = {"active": DID.Status.ACTIVE, "yes": DID.Status.ACTIVE, "y": DID.Status.ACTIVE, "1": DID.Status.ACTIVE,
           "true": DID.Status.ACTIVE, "inactive": DID.Status.INACTIVE, "no": DID.Status.INACTIVE,
           "n": DID.Status.INACTIVE, "0": DID.Status.INACTIVE, "false": DID.Status.INACTIVE}
_BILLING_TYPE = {"onetime": DID.BillingType.ONE_TIME, "recurring": DID.BillingType.RECURRING}
_CATEGORY = {c.lower(): c for c, _ in DID.Category.choices}


class RowError(ValueError):
    """Why a row is refused, fit for the error report (names the column)."""


def _bounds(name):
    field = DIDForm.base_fields[name]
    return field.min_value, field.max_value


BOUNDS = {name: _bounds(name) for name in MONEY_FIELDS + WHOLE_FIELDS}
# What a blank cell (or a missing column) means: the model's default, as on the form.
DEFAULTS = {
    name: Decimal("0") if name in MONEY_FIELDS else DID._meta.get_field(name).get_default()
    for name in FIELDS if name not in ("number", "provider")
}


class Providers:
    """Provider names and account numbers, looked up once per import."""

    def __init__(self, default: Provider | None):
        self.default = default
        self.by_key: dict[str, Provider] = {}
        for provider in Provider.objects.all():
            self.by_key[provider.name.strip().lower()] = provider
            self.by_key[provider.number] = provider

    def find(self, text: str) -> Provider:
        text = as_typed(text)
        if not text:
            if self.default is None:
                raise RowError("Provider: empty, and no provider was chosen for rows without one.")
            return self.default
        match = _PROVIDER_WITH_NUMBER.match(text)
        provider = self.by_key.get(match["number"]) if match else self.by_key.get(text.lower())
        if provider is None:
            raise RowError(f"Provider: no provider named “{text}”. Create it under Providers first.")
        if not provider.is_active:
            raise RowError(f"Provider: {provider.name} is inactive.")
        return provider


def money_cell(name: str, text: str) -> Decimal:
    match = _MONEY.match(text)
    if not match:
        if text.startswith("-"):
            raise RowError(f"{LABEL[name]}: {text} is negative.")
        if "," in text:  # 5,00 (decimal comma) or 1,000 (thousands): ambiguous, so neither
            raise RowError(f"{LABEL[name]}: “{text}” has a comma; write amounts with a decimal point and "
                           "no thousands separator (5.00, 1000).")
        raise RowError(f"{LABEL[name]}: “{text}” is not an amount (plain digits, e.g. 5 or 5.0000).")
    try:
        value = Decimal(match[1])
    except InvalidOperation:
        raise RowError(f"{LABEL[name]}: “{text}” is not an amount.") from None
    if value.as_tuple().exponent < -4:
        raise RowError(f"{LABEL[name]}: {text} has more than 4 decimal places.")
    low, high = BOUNDS[name]
    if value > high:
        raise RowError(f"{LABEL[name]}: {text} is more than {high}.")
    return value.quantize(Decimal("0.0001"))


def whole_cell(name: str, text: str) -> int:
    if not _WHOLE.match(text):
        raise RowError(f"{LABEL[name]}: “{text}” is not a whole number.")
    low, high = BOUNDS[name]
    if len(text) > 20:  # int() refuses 4,301 digits and more (a ValueError, not a RowError)
        raise RowError(f"{LABEL[name]}: {text[:20]}… is outside {low}–{high}.")
    value = int(text)
    if not low <= value <= high:
        raise RowError(f"{LABEL[name]}: {value} is outside {low}–{high}.")
    return value


def choice_cell(name: str, text: str, *, table: dict) -> str:
    value = table.get(re.sub(r"[\s_\-]", "", text.lower()) if name == "billing_type" else text.lower())
    if value is None:
        labels = sorted({choice.label for choice in table.values()})
        raise RowError(f"{LABEL[name]}: “{text}” is not one of {', '.join(labels)}.")
    return value


def country_cell(text: str) -> str:
    if len(text) == 2 and text.upper() in _COUNTRY_CODES:
        return text.upper()
    code = _COUNTRY_BY_NAME.get(text.lower())
    if code is None:
        raise RowError(f"Country: “{text}” is neither a two-letter ISO code (US) nor a country name.")
    return code


def text_cell(name: str, text: str) -> str:
    text = as_typed(text)
    if len(text) > TEXT_FIELDS[name]:
        raise RowError(f"{LABEL[name]}: longer than {TEXT_FIELDS[name]} characters.")
    if "\x00" in text:  # the form refuses it too; PostgreSQL's COPY would fail the whole import
        raise RowError(f"{LABEL[name]}: contains a NUL character.")
    return text


# How each column's non-blank text becomes a value (DID and Provider are special).
# Cached: a carrier's file repeats the same few prices, periods and statuses a
# million times (errors are raised again each time, never cached).
PARSERS = {
    **{name: partial(money_cell, name) for name in MONEY_FIELDS},
    **{name: partial(whole_cell, name) for name in WHOLE_FIELDS},
    **{name: partial(text_cell, name) for name in TEXT_FIELDS},
    "status": partial(choice_cell, "status", table=_STATUS),
    "billing_type": partial(choice_cell, "billing_type", table=_BILLING_TYPE),
    "category": partial(choice_cell, "category", table=_CATEGORY),
    "country": country_cell,
}
PARSERS = {name: lru_cache(maxsize=4096)(parse) for name, parse in PARSERS.items()}


def row_values(cells: list[str], columns: ColumnMap, providers: Providers) -> dict:
    """The DID's field values for one row; blank cells take the form's defaults.
    Raises RowError for the first problem found."""
    width = len(cells)
    texts = {name: cells[i].strip() if i < width else "" for name, i in columns.positions.items()}
    try:
        number = normalize_did(texts["number"])
    except ValidationError as error:
        raise RowError(f"DID: {error.messages[0]}") from None
    values = dict(DEFAULTS, number=number, provider=providers.find(texts.get("provider", "")).pk)
    if not texts["monthly_fee"]:
        raise RowError("MonthlyFee (USD): empty; every DID needs its monthly price.")
    for name, text in texts.items():
        if text and name in PARSERS:
            values[name] = PARSERS[name](text)
    return values
