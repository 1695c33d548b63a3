"""The called number as a switch or a carrier sends it, reduced to the E.164 form
DIDs are stored in ("+18555801802").

Purely syntactic, on purpose: this runs for every call, and the number either
matches a stored DID exactly or the call is refused. phonenumbers' checks (as in
dids/numbers.py, for typed input) would cost more than the whole lookup.
"""

import re

_SCHEME = re.compile(r"^(?:sips?|tel):", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-.()/]")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def normalise(raw: str) -> str | None:
    """'+18555801802', '18555801802', '0018555801802', 'sip:+18555801802@host;user=phone',
    '<tel:+1-855-580-1802>' -> '+18555801802'; None when it cannot be a number."""
    text = raw.strip().strip("<>")
    if _SCHEME.match(text):
        text = _SCHEME.sub("", text, count=1)
        text = text.split("@", 1)[0].split(";", 1)[0]  # the user part, without URI parameters
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        digits = "+" + digits  # carriers send the calling code without "+"
    return digits if _E164.fullmatch(digits) else None
