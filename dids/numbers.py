"""The one phone-number reader of the product: any common input format in, E.164 out.

Every path that takes a number from a person, a file or a switch calls ``read_number``
(the DID form, ranges, the DID import, PSTN destinations, the routing lookup, the CDR
import and the calls filter), so a number is stored and looked up in the same form.

How a text is read (DESIGN.md section 2):

- ``+…``, ``tel:+…`` and ``00…`` are international: the digits start with the calling code.
- With a country (the form's Country, the row's Country, a switch token's country...),
  that country's international prefix (``011`` in the US, ``0011`` in Australia, ``010``
  in Japan...) also starts an international number, and digits without a prefix are read
  as a national number of that country (``(855) 580-1803`` + US -> ``+18555801803``,
  ``020 7946 0018`` + GB -> ``+442079460018``) when that is a valid number there;
  otherwise as international (the seed's ``81123456789`` typed with Country US is Japan's).
- Where both readings are valid numbers and differ, the national one wins and the
  reading says so (``NumberReading.ambiguous``); pages show ``read as …`` for every
  number that was read with the country.
- A trunk mark after the calling code (``+44 (0) 20 7946 0958``) is dropped, Unicode
  digits (``１８５５…``, ``١٨٥٥…``) are read as digits, spaces, dashes, dots, slashes and
  parentheses are ignored; ``tel:`` URIs (in angle brackets too) give their number.
- The result must be a possible number for its calling code.

Pure functions (no database).
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    CountryCodeSource,
    PhoneMetadata,
    PhoneNumber,
    region_code_for_country_code,
)
from phonenumbers.phonenumberutil import (
    ValidationResult,
    _maybe_strip_national_prefix_carrier_code,
    _test_number_length,
)

from core.countries import country_name  # the one way a country is named; imported from here too
from core.phone import display  # the one way a number is shown (pages, messages); imported from here too

_SEPARATORS = re.compile(r"[\s\-\.\(\)/]")
_E164_BODY = re.compile(r"^\+[1-9][0-9]{1,14}$")
_DIGITS_ONLY = re.compile(r"^[0-9]{1,20}$")
_TEL = re.compile(r"^tel:", re.IGNORECASE)
EXAMPLE = "e.g. +1 855-580-1802, 18555801802, or (855) 580-1802 with its Country"


@dataclass(frozen=True)
class NumberReading:
    """How a typed number was read."""

    e164: str
    national_in: str | None = None  # ISO code: read as a national number of this country
    other: str | None = None  # the international reading, when it was valid too and differs (national won)

    @property
    def ambiguous(self) -> bool:
        return self.other is not None

    @property
    def note(self) -> str:
        """'read as +1 855-580-1803, United States'."""
        return f"read as {display(self.e164)}, {country_name(number_region(self.e164))}"

    @property
    def explanation(self) -> str:
        """The note, and for an ambiguous text the reading that lost."""
        if not self.ambiguous:
            return self.note
        return (f"{self.note} (national number of {country_name(self.national_in)}; "
                f"not {display(self.other)}, {country_name(number_region(self.other))})")


def read_number(text: str, country: str | None = None) -> NumberReading:
    """Read ``text`` (in ``country``'s national form too, when given). Raises ValidationError
    with a message fit for the form (and, prefixed with the column, for an import's report)."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("Enter the DID number.", code="required")
    return _read(raw, (country or "").upper() or None)


def normalize_did(text: str, country: str | None = None) -> str:
    """The E.164 form of ``text`` ('+18555801802'); see ``read_number``."""
    return read_number(text, country).e164


@lru_cache(maxsize=65_536)  # a CDR file or a switch asks for the same numbers again and again
def _read(raw: str, country: str | None) -> NumberReading:
    compact = _compact(raw)
    if compact.startswith("+"):
        if not _E164_BODY.match(compact):
            raise _not_digits(raw)
        return NumberReading(_international(compact) or _impossible(raw, compact))
    if not _DIGITS_ONLY.match(compact):
        raise _not_digits(raw)
    international = _international("+" + (compact[2:] if compact.startswith("00") else compact))
    if country in _REGIONS:
        national, explicit = _national(compact, country)
        if explicit:  # the country's international prefix: what follows is the calling code
            if national is None:
                raise ValidationError(f"{raw} is not a possible phone number after the international prefix.",
                                      code="not_possible")
            return NumberReading(national)
        if national is not None:
            other = international if international not in (None, national) and _valid(international) else None
            return NumberReading(national, national_in=country, other=other)
    if international is not None:
        return NumberReading(international)
    if country in _REGIONS:
        raise ValidationError(f"{raw} is not a possible phone number: neither a valid number in "
                              f"{country_name(country)} nor one with a calling code.", code="not_possible")
    return NumberReading(_impossible(raw, "+" + compact))


def _not_digits(raw: str) -> ValidationError:
    return ValidationError(f"Enter the number in digits, {EXAMPLE}.", code="invalid")


def _compact(raw: str) -> str:
    """Digits with a leading + at most: separators dropped, Unicode digits and plus read,
    a tel: URI reduced to its number."""
    if not raw.isascii():
        raw = "".join(_ascii(ch) for ch in raw)
    if raw[:1] == "<" and raw[-1:] == ">":  # a URI as SIP headers carry it
        raw = raw[1:-1].strip()
    if _TEL.match(raw):
        raw = _tel_number(raw[4:])
    return _SEPARATORS.sub("", raw)


def _ascii(ch: str) -> str:
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    if ch in "＋\u2795":
        return "+"
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category == "Pd":
        return "-"
    return ch


def _tel_number(body: str) -> str:
    """RFC 3966: 'tel:+1-855-580-1802;npdi' -> '+1-855-580-1802'; a local number with a
    global phone-context ('tel:580-1802;phone-context=+1-855') gets the context in front."""
    number, *params = body.split(";")
    for param in params:
        name, _, value = param.partition("=")
        if name.lower() == "phone-context" and value.startswith("+") and not number.startswith("+"):
            number = value + number
        elif name.lower() in {"ext", "isub"}:
            return "x"  # an extension is not a DID: refused as not digits
    return number


# --- readings ---------------------------------------------------------------------------------------------

_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
_NOT_A_LENGTH = {ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY, ValidationResult.INVALID_LENGTH}
_POSSIBLE = {ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY}


def _international(compact: str) -> str | None:
    """The E.164 form of '+digits' when it is a possible number for its calling code, else None."""
    if not _E164_BODY.match(compact):
        return None
    fast = _possible_e164(compact)
    if fast is not None:
        return fast
    e164 = _phonenumbers_e164(compact)
    # A form that reads back as itself, or none: phonenumbers drops a trunk 0 from '+440000000000'
    # and then another from what it gave; what is stored must be what a lookup finds.
    return e164 if e164 is not None and _phonenumbers_e164(e164) == e164 else None


def _phonenumbers_e164(compact: str) -> str | None:
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _national(digits: str, country: str) -> tuple[str | None, bool]:
    """(the reading of digits typed in ``country``, whether they began with its international prefix).
    The national reading must be a valid number; after an international prefix, a possible one."""
    idd = _plain_international_prefix(country)
    if idd and digits.startswith(idd) and digits[len(idd):len(idd) + 1] not in ("", "0"):
        return _international("+" + digits[len(idd):]), True  # the common case without phonenumbers' parser
    try:
        parsed = phonenumbers.parse(digits, country, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return None, False
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not _E164_BODY.match(e164) or _international(e164) != e164:
        return None, False  # 16 digits (phonenumbers calls some German ones valid), or a form that reads otherwise
    if parsed.country_code_source == CountryCodeSource.FROM_NUMBER_WITH_IDD:
        return (e164 if phonenumbers.is_possible_number(parsed) else None), True
    valid = phonenumbers.is_valid_number_for_region(parsed, country) or phonenumbers.is_valid_number(parsed)
    return (e164 if valid else None), False


@lru_cache(maxsize=None)
def _plain_international_prefix(country: str) -> str | None:
    """'011' for US, '00' for GB; None where the prefix is a pattern (phonenumbers reads those)."""
    prefix = PhoneMetadata.metadata_for_region(country).international_prefix or ""
    return prefix if prefix.isdigit() else None


def _valid(e164: str) -> bool:
    """Whether a possible '+digits' number is a valid one: built from its calling code and
    national digits as ``_possible_e164`` split them (parsing it again costs twice as much)."""
    digits = e164[1:]
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            if national[:1] not in ("", "0"):  # Italian leading zeros: phonenumbers' own parse
                return phonenumbers.is_valid_number(PhoneNumber(country_code=code, national_number=int(national)))
            break
    return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))


def _impossible(raw: str, compact: str):
    """Raise the reason a '+digits' text is not a possible number."""
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{raw} is not a possible phone number.", code="not_possible") from None
    raise ValidationError(f"{raw} is not a possible phone number for calling code +{parsed.country_code}.",
                          code="not_possible")


def _possible_e164(compact: str) -> str | None:
    """What ``format_number(parse(compact), E164)`` gives for a possible number,
    else None: the same steps phonenumbers takes for a "+digits" string (calling
    code, national prefix stripped only when what remains is a possible length,
    length check), without its general-purpose parsing, and with the per-country
    facts looked up once. An import checks a million numbers; this is about 5x
    faster. A test compares both over every calling code."""
    digits = compact[1:]
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[size:]
    if len(national) < 2 or national.startswith("0"):
        return None  # too short, or "Italian" leading zeros: leave those to phonenumbers
    metadata = _metadata(code)
    if metadata is None:
        return None
    stripped = _maybe_strip_national_prefix_carrier_code(national, metadata)[1]
    if stripped != national and _length_verdict(code, len(stripped)) not in _NOT_A_LENGTH:
        national = stripped
    if national.startswith("0") or len(national) > 17 or _length_verdict(code, len(national)) not in _POSSIBLE:
        return None
    return f"+{code}{national}"


@lru_cache(maxsize=None)
def _metadata(code: int):
    return PhoneMetadata.metadata_for_region_or_calling_code(code, region_code_for_country_code(code))


@lru_cache(maxsize=None)
def _length_verdict(code: int, length: int):
    """phonenumbers' length test depends on the number's length only."""
    return _test_number_length("9" * length, _metadata(code))


# --- showing numbers and countries ------------------------------------------------------------------------

def calling_code(e164: str) -> int:
    return phonenumbers.parse(e164, None).country_code


def number_region(e164: str) -> str:
    """The country a number belongs to ('US' for +1 855..., 'CA' for +1 416...), or, when its
    digits do not tell, the main country of its calling code."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.region_code_for_number(parsed) or region_code_for_country_code(parsed.country_code)


def search_digits(text: str) -> str:
    """What a user typed in a number search box, reduced to digits (no +, spaces, dashes).
    Other characters stay (so that text matches nothing), except NUL, which PostgreSQL refuses."""
    return _SEPARATORS.sub("", text or "").replace("\x00", "").lstrip("+")


def number_search(text: str, country: str | None, *, starts: bool) -> str:
    """The digits (without "+") a number search means, read like a number where it can be.

    "Starts with", typed with "+" or, with a country, after its international prefix: the calling
    code and what follows. Otherwise, with a country, a national number's start: its trunk prefix
    dropped and the calling code put in front ('020 7946' in GB -> '44207946', '(855) 580' in US
    -> '1855580'). "Contains": only a national trunk prefix is dropped ('020 7946 0018' in GB ->
    '2079460018'), which can only widen what is found. A partial number cannot be read as a
    whole, so this is the national reading's first step only. Without a country: the digits typed.
    """
    digits = search_digits(text)
    compact = _SEPARATORS.sub("", text or "")
    if not country or country not in _REGIONS or compact.startswith("+") or not digits.isdigit():
        return digits
    metadata = PhoneMetadata.metadata_for_region(country)
    trunk, code = metadata.national_prefix or "", str(metadata.country_code)
    idd = _plain_international_prefix(country)
    if starts and idd and digits.startswith(idd):
        return digits[len(idd):]
    if trunk and digits.startswith(trunk) and len(digits) > len(trunk):
        national = digits[len(trunk):]
    elif starts and digits.startswith(code):
        return digits  # typed with its calling code, as carriers write numbers
    else:
        national = digits
    return code + national if starts else national


def regions_for_number(e164: str) -> list[str]:
    """ISO country codes that share the number's calling code (e.g. +1 -> US, CA, ...)."""
    return phonenumbers.region_codes_for_country_code(calling_code(e164))


def country_mismatch(e164: str, country_code: str) -> bool:
    """True when a country was chosen that does not use the number's calling code.
    Only ever a warning: the seed's own example mixes them."""
    if not country_code:
        return False
    return country_code not in regions_for_number(e164)


def mismatch_warning(e164: str, country_code: str) -> str:
    """'Hong Kong does not use calling code +1 (of +1 855-580-1802, United States).'"""
    return (f"{country_name(country_code)} does not use calling code +{calling_code(e164)} "
            f"(of {display(e164)}, {country_name(number_region(e164))}).")
