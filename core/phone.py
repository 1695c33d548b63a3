"""How a phone number is shown: one place for pages, messages and CSV files.

People read a number in its international format (``+1 855-580-1802``) on every page, flash
message, notice, e-mail and audit summary; CSV files carry E.164 (``+18555801802``), the form
the imports read back. Numbers are stored as E.164 (``dids/numbers.py`` reads what people type).
In core so that every layer (the audit trail, notices, templates) shows numbers the same way.
"""

import re
from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=4096)
def display(e164: str) -> str:
    """'+18555801803' -> '+1 855-580-1803' (the international format of its country).
    A text that is not a number (a CDR's caller can be 'anonymous') comes back unchanged."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


# An E.164 number inside a text: '+' and 7 to 15 digits, not part of a longer word or number.
_E164_IN_TEXT = re.compile(r"(?<![\w+.])\+[1-9][0-9]{6,14}(?![\w.])")


def numbers_shown(text: str) -> str:
    """A stored text with each E.164 number in it shown as people read it: texts written in SQL
    for many rows at once (a bulk delete's audit summaries, a bulk price change's notices) carry
    the number as stored; pages and e-mails show them through this."""
    if not text or "+" not in text:
        return text
    return _E164_IN_TEXT.sub(lambda match: display(match.group(0)), text)


def csv_number(e164: str | None) -> str:
    """A number in a CSV cell: E.164 as stored ('+18555801802'), '' for none. Only '+' and
    digits, so it needs no spreadsheet_safe apostrophe; the DID import reads it back."""
    return e164 or ""
