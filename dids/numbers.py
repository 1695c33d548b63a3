"""Phone-number rules for DIDs: any common input format in, E.164 out.

Pure functions (no database), so they are easy to test and to reuse in imports.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError

_SEPARATORS = re.compile(r"[\s\-\.\(\)/]")
_E164_BODY = re.compile(r"^\+[1-9][0-9]{1,14}$")


def normalize_did(text: str) -> str:
    """'18555801802', '+1 855-580-1802', '001 (855) 580 1802' -> '+18555801802'.

    Numbers are international: without a leading + they start with the
    calling code, as carriers send them (the seed's 18555801802, 81123456789).
    Raises ValidationError with a message fit for the form.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("Enter the DID number.", code="required")
    compact = _SEPARATORS.sub("", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif not compact.startswith("+"):
        compact = "+" + compact
    if not _E164_BODY.match(compact):
        raise ValidationError(
            "Enter the number in digits, with its country code, e.g. 18555801802 or +1 855-580-1802.",
            code="invalid",
        )
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{raw} is not a possible phone number.", code="not_possible")
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(
            f"{raw} is not a possible phone number for calling code +{parsed.country_code}.",
            code="not_possible",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def search_digits(text: str) -> str:
    """What a user typed in a number search box, reduced to digits (no +, spaces, dashes)."""
    return _SEPARATORS.sub("", text or "").lstrip("+")


def regions_for_number(e164: str) -> list[str]:
    """ISO country codes that share the number's calling code (e.g. +1 -> US, CA, ...)."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.region_codes_for_country_code(parsed.country_code)


def country_mismatch(e164: str, country_code: str) -> bool:
    """True when a country was chosen that does not use the number's calling code.
    Only ever a warning: the seed's own example mixes them."""
    if not country_code:
        return False
    return country_code not in regions_for_number(e164)
