"""One CSV row -> the values of a DID, or the reason it is refused.

Plain functions instead of a Django form per row: a million rows must be checked
in seconds. The limits are read from the Create Product form's fields, so the
import, its defaults and the form accept exactly the same values.

The DID is read with ``read_number`` in the row's Country, or, for a row without
one, in the import's country; such a row stores that country when its number uses
the country's calling code (a number of another country keeps no Country rather
than a wrong one).

Amounts: a decimal point, no thousands separator (5, 5.00, $2.50). In a
semicolon-separated file (a European spreadsheet) the comma is the decimal mark and
dots may group thousands (5,00; 1.234,50); a lone ``1.234`` there could be either
and is refused. A comma in a comma- or tab-separated file is refused (5,00 or 1,000?).
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django_countries import countries, data

from core.csv_stream import as_typed
from core.importing.rows import RowError
from dids.forms import DIDForm, MONEY_FIELDS
from dids.importing.columns import LABEL
from dids.models import DID, Provider
from dids.numbers import NumberReading, country_mismatch, country_name, mismatch_warning, read_number, search_digits

WHOLE_FIELDS = ("grace_time", "initial_increment", "increment", "call_timeout", "billing_days", "concurrent_calls")
TEXT_FIELDS = {"city": 100, "province": 100}
# Every field a row sets, in the model's order (the writer's column order).
FIELDS = ("category", "number", "provider", "country", "city", "province", "buy_cost", "status") + tuple(
    f for f in ("connection_cost", "grace_time", "cost_per_min", "initial_increment", "increment", "setup_fee",
                "monthly_fee", "call_timeout", "billing_type", "billing_days", "concurrent_calls")
)

_MONEY = re.compile(r"^\$?\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:usd)?$", re.I)
# Semicolon files (European spreadsheets): a decimal comma, dots only between groups of three digits.
_MONEY_COMMA = re.compile(r"^\$?\s*(\d+|[1-9]\d{0,2}(?:\.\d{3})+)?(?:,(\d*))?\s*(?:usd)?$", re.I)
_ONE_GROUP = re.compile(r"^\$?\s*([1-9]\d{0,2})\.(\d{3})\s*(?:usd)?$", re.I)  # 1.234: 1234 or 1.234?
_WHOLE = re.compile(r"^\d+$")
_PROVIDER_WITH_NUMBER = re.compile(r"^(?P<name>.*?)\s*\((?P<number>\d{10})\)$")  # "default provider (3673942894)"
_COUNTRY_CODES = {code for code, _ in countries}
# ISO's names (data.COUNTRIES: "United States of America"), then the names the portal shows
# (settings.COUNTRIES_OVERRIDE, core/countries.py: "United States"): a file may use either.
_COUNTRY_BY_NAME = {str(name).lower(): code for code, name in data.COUNTRIES.items()}
_COUNTRY_BY_NAME.update({name.lower(): code for code, name in countries})
# Short names spreadsheets use that differ from the ISO names.
_COUNTRY_BY_NAME.update({"united states": "US", "usa": "US", "uk": "GB", "great britain": "GB",
                         "england": "GB", "south korea": "KR", "korea": "KR"})
_STATUS = {"active": DID.Status.ACTIVE, "yes": DID.Status.ACTIVE, "y": DID.Status.ACTIVE, "1": DID.Status.ACTIVE,
           "true": DID.Status.ACTIVE, "inactive": DID.Status.INACTIVE, "no": DID.Status.INACTIVE,
           "n": DID.Status.INACTIVE, "0": DID.Status.INACTIVE, "false": DID.Status.INACTIVE}
_BILLING_TYPE = {"onetime": DID.BillingType.ONE_TIME, "recurring": DID.BillingType.RECURRING}
_CATEGORY = {c.lower(): c for c, _ in DID.Category.choices}



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


def money_cell(name: str, text: str, decimal_comma: bool = False) -> Decimal:
    """``decimal_comma``: the file is semicolon-separated (see the module's note)."""
    digits = _amount_digits(name, text, decimal_comma)
    try:
        value = Decimal(digits)
    except InvalidOperation:
        raise RowError(f"{LABEL[name]}: “{text}” is not an amount.") from None
    if value.as_tuple().exponent < -4:
        raise RowError(f"{LABEL[name]}: {text} has more than 4 decimal places.")
    low, high = BOUNDS[name]
    if value > high:
        raise RowError(f"{LABEL[name]}: {text} is more than {high}.")
    return value.quantize(Decimal("0.0001"))


def _amount_digits(name: str, text: str, decimal_comma: bool) -> str:
    """The amount as Decimal reads it ("1234.50"), or RowError."""
    if decimal_comma:
        one_group = _ONE_GROUP.match(text)
        if one_group:
            whole, comma = f"{one_group[1]}{one_group[2]}", f"{one_group[1]},{one_group[2]}"
            raise RowError(f"{LABEL[name]}: “{text}” could be {whole} or {comma}; this file is semicolon-separated, "
                           f"so write {whole} or {comma} (a comma before the decimals, no thousands dot).")
        match = _MONEY_COMMA.match(text)
        if match and (match[1] or match[2]):
            return f"{(match[1] or '0').replace('.', '')}.{match[2] or ''}"
    match = _MONEY.match(text)
    if match:
        return match[1]
    if text.startswith("-"):
        raise RowError(f"{LABEL[name]}: {text} is negative.")
    if decimal_comma and "," in text:
        raise RowError(f"{LABEL[name]}: “{text}” is not an amount; this file is semicolon-separated, so write "
                       "amounts with a decimal comma and no thousands separator or dots between groups of three "
                       "(5,00; 1234,50; 1.234,50).")
    if "," in text:  # 5,00 (decimal comma) or 1,000 (thousands): ambiguous, so neither
        raise RowError(f"{LABEL[name]}: “{text}” has a comma; write amounts with a decimal point and "
                       "no thousands separator (5.00, 1000).")
    raise RowError(f"{LABEL[name]}: “{text}” is not an amount (plain digits, e.g. 5 or 5.0000).")


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
def _parsers(decimal_comma: bool) -> dict:
    table = {
        **{name: partial(money_cell, name, decimal_comma=decimal_comma) for name in MONEY_FIELDS},
        **{name: partial(whole_cell, name) for name in WHOLE_FIELDS},
        **{name: partial(text_cell, name) for name in TEXT_FIELDS},
        "status": partial(choice_cell, "status", table=_STATUS),
        "billing_type": partial(choice_cell, "billing_type", table=_BILLING_TYPE),
        "category": partial(choice_cell, "category", table=_CATEGORY),
        "country": country_cell,
    }
    return {name: lru_cache(maxsize=4096)(parse) for name, parse in table.items()}


PARSERS = {False: _parsers(False), True: _parsers(True)}  # by decimal_comma


class RowReader:
    """One row's cells -> the DID's values, or RowError for the first problem found.
    Blank cells (and fields without a column) take the import's defaults, then the
    Create Product form's. The values also carry how the number was read (``_reading``,
    ``_mismatch``) for the preview; the writer takes only the DID's fields."""

    def __init__(self, positions: dict[str, int], providers: Providers, *, country: str = "",
                 defaults: dict | None = None, decimal_comma: bool = False):
        self.positions = positions
        self.providers = providers
        self.country = country
        self.defaults = dict(defaults or {})
        self.base = dict(DEFAULTS, **self.defaults)
        self.parsers = PARSERS[decimal_comma]
        self._mismatches: dict[tuple[str, str], bool] = {}

    def mismatch(self, e164: str, country: str) -> bool:
        """numbers.country_mismatch, once per calling code and country: the first four
        characters of an E.164 number hold its calling code (codes are prefix-free)."""
        key = (e164[:4], country)
        found = self._mismatches.get(key)
        if found is None:
            found = self._mismatches[key] = country_mismatch(e164, country)
        return found

    def __call__(self, cells: list[str]) -> dict:
        width = len(cells)
        texts = {name: cells[i].strip() if i < width else "" for name, i in self.positions.items()}
        own_country = texts.pop("country", "")
        country = self.parsers["country"](own_country) if own_country else self.country
        try:
            reading = read_number(as_typed(texts.pop("number")), country or None)  # '+1… from a rejected-rows file
        except ValidationError as error:
            raise RowError(f"DID: {error.messages[0]}") from None
        number = reading.e164
        mismatch = bool(country) and self.mismatch(number, country)
        if mismatch and not own_country:
            country, mismatch = "", False  # the import's country is not this number's: no Country rather than a wrong one
        values = dict(self.base, number=number, country=country, _reading=reading, _mismatch=mismatch)
        try:
            values["provider"] = self.providers.find(texts.pop("provider", "")).pk
            if not texts.get("monthly_fee") and "monthly_fee" not in self.defaults:
                raise RowError("MonthlyFee (USD): empty; every DID needs its monthly price.")
            parsers = self.parsers
            for name, text in texts.items():
                if text:
                    values[name] = parsers[name](text)
        except RowError as error:
            error.read_as = number
            raise
        return values


SAMPLE = 10  # rows shown with how their number was read
NOTABLE = 5  # ambiguous readings and country warnings shown, each


@dataclass
class ReadAs:
    line: int
    typed: str  # the number as in the file
    e164: str  # as stored
    country: str  # the row's Country as stored (ISO code or "")
    note: str = ""

    @property
    def country_label(self) -> str:
        return f"{country_name(self.country)} ({self.country})" if self.country else "—"


@dataclass
class Readings:
    """How the file's numbers were read, for the preview: counts and the first rows."""

    number_at: int
    national: int = 0  # read as national numbers of their country (the digits changed)
    ambiguous: int = 0  # both readings valid; the national one won
    mismatched: int = 0  # a Country that does not use the number's calling code (a warning)
    sample: list[ReadAs] = field(default_factory=list)
    ambiguous_rows: list[ReadAs] = field(default_factory=list)
    mismatched_rows: list[ReadAs] = field(default_factory=list)

    def observe(self, line: int, cells: list[str], values: dict) -> None:
        reading: NumberReading = values["_reading"]
        if reading.national_in is None and not values["_mismatch"] and len(self.sample) >= SAMPLE:
            return  # most rows of a big file: nothing to count or show
        national = reading.national_in is not None and search_digits(self._typed(cells)) != reading.e164[1:]
        if national:
            self.national += 1
        if reading.ambiguous:
            self.ambiguous += 1
            if len(self.ambiguous_rows) < NOTABLE:
                self.ambiguous_rows.append(self._row(line, cells, values, reading.explanation))
        if values["_mismatch"]:
            self.mismatched += 1
            if len(self.mismatched_rows) < NOTABLE:
                self.mismatched_rows.append(
                    self._row(line, cells, values, mismatch_warning(reading.e164, values["country"])))
        if len(self.sample) < SAMPLE:
            note = reading.explanation if national or reading.ambiguous else ""
            if values["_mismatch"]:
                note = (note + "; " if note else "") + mismatch_warning(reading.e164, values["country"])
            self.sample.append(self._row(line, cells, values, note))

    def _typed(self, cells: list[str]) -> str:
        return cells[self.number_at].strip() if self.number_at < len(cells) else ""

    def _row(self, line, cells, values, note) -> ReadAs:
        return ReadAs(line, self._typed(cells), values["number"], values["country"], note)
