"""The called number as a switch or a carrier sends it, reduced to the E.164 form
DIDs are stored in ("+18555801802"), by the product's one number reader
(dids/numbers.py), so that a number is looked up exactly as it was stored.

What is routing's own: a SIP or tel URI in angle brackets, and the user part of a
SIP URI (percent-encoded, with user parameters such as ``;npdi``). Digits without
a prefix are read in the country of the switch's token (a US carrier's 10-digit
called number), otherwise as international (calling code without "+").
"""

import re
from urllib.parse import unquote

from django.core.exceptions import ValidationError

from dids.numbers import read_number

_SIP = re.compile(r"^sips?:", re.IGNORECASE)


def normalise(raw: str, country: str | None = None) -> str | None:
    """'+18555801802', '18555801802', '0018555801802', 'sip:+18555801802@host;user=phone',
    '<tel:+1-855-580-1802>', '8555801802' with country US -> '+18555801802'; None when it
    cannot be a number."""
    text = raw.strip().strip("<>")
    if _SIP.match(text):
        user = _SIP.sub("", text, count=1).split("@", 1)[0].split(";", 1)[0]  # without URI and user parameters
        text = unquote(user) if "%" in user else user
    try:
        return read_number(text, country).e164
    except ValidationError:
        return None
