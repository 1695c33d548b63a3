"""The one number reader (dids/numbers.py) with a country: every case found when the
portal was tried with real inputs, and the rule that a number is looked up exactly
as it was stored, whichever door it came in by."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings, strategies as st

from calls.importing.cells import Numbers as CDRNumbers
from dids.importing.cells import RowReader
from core.importing.rows import RowError
from dids.numbers import mismatch_warning, read_number
from routing.numbers import normalise as routing_form


@pytest.mark.parametrize("typed, country, stored", [
    # Digits without a prefix are a national number of the country given, when valid there.
    ("8555801803", "US", "+18555801803"),  # was +8555801803 (Cambodia)
    ("(855) 580-1803", "US", "+18555801803"),
    ("(646) 555-0111", "US", "+16465550111"),  # was +6465550111 (New Zealand)
    ("020 7946 0018", "GB", "+442079460018"),  # national forms with their trunk 0 were refused
    ("030 12345678", "DE", "+493012345678"),
    ("03-1234-5678", "JP", "+81312345678"),
    ("4165550123", "US", "+14165550123"),  # Canada shares +1: still national
    # The country's own international prefix starts an international number.
    ("011 44 20 7946 0958", "US", "+442079460958"),
    ("0011 44 20 7946 0958", "AU", "+442079460958"),
    ("010 44 20 7946 0958", "JP", "+442079460958"),
    ("0049 30 12345678", "DE", "+493012345678"),
    # Not valid as a national number there: international, as carriers write them.
    ("18555801802", "HK", "+18555801802"),  # the seed's own example
    ("81123456789", "US", "+81123456789"),  # the seed's second
    ("0018555801802", "US", "+18555801802"),
    ("18555801802", "US", "+18555801802"),
    # Forms that need no country.
    ("tel:+1-855-580-1802", None, "+18555801802"),  # was refused by the DID form
    ("<tel:+1-855-580-1802>", None, "+18555801802"),
    ("tel:580-1802;phone-context=+1-855", None, "+18555801802"),
    ("+44 (0) 20 7946 0958", None, "+442079460958"),  # trunk mark
    ("+44 (0) 20 7946 0958", "US", "+442079460958"),
    ("１８５５５８０１８０２", "US", "+18555801802"),  # full-width digits
    ("٠٠٤٤٢٠٧٩٤٦٠٩٥٨", None, "+442079460958"),  # Arabic-Indic digits
    ("+1\u00a0855\u2013580\u20131802", None, "+18555801802"),  # no-break space, en dashes
    ("0018555801802", None, "+18555801802"),
])
def test_real_world_forms_are_read_as_people_mean_them(typed, country, stored):
    assert read_number(typed, country).e164 == stored


def test_a_national_reading_says_so():
    reading = read_number("8555801803", "US")
    assert reading.national_in == "US" and not reading.ambiguous
    assert reading.note == "read as +1 855-580-1803, United States"


def test_when_both_readings_are_valid_the_national_one_wins_and_the_other_is_named():
    reading = read_number("(646) 555-0111", "US")
    assert reading.e164 == "+16465550111" and reading.other == "+6465550111"
    assert reading.explanation == ("read as +1 646-555-0111, United States (national number of United States; "
                                   "not +64 6 555 0111, New Zealand)")


def test_an_international_reading_is_not_called_national():
    reading = read_number("81123456789", "US")
    assert reading.national_in is None and reading.note == "read as +81 123-45-6789, Japan"


@pytest.mark.parametrize("typed, country, message", [
    ("1234", "US", "1234 is not a possible phone number: neither a valid number in United States nor one with a "
                   "calling code."),
    ("01144", "US", "not a possible phone number after the international prefix"),
    ("011 44 20 7946 0958", None, "not a possible phone number"),  # 011 means nothing without a country
    ("tel:+1-855-580-1802;ext=12", None, "Enter the number in digits"),
    ("1-800-FLOWERS", "US", "Enter the number in digits"),
    ("", "US", "Enter the DID number."),
])
def test_what_cannot_be_read_is_refused_with_a_reason(typed, country, message):
    with pytest.raises(ValidationError) as error:
        read_number(typed, country)
    assert message in error.value.messages[0]


def test_the_mismatch_warning_names_the_calling_code_not_the_whole_number():
    assert mismatch_warning("+18555801802", "HK") == \
        "Hong Kong does not use calling code +1 (of +1 855-580-1802, United States)."


def test_a_national_reading_longer_than_e164_allows_is_not_taken():
    """Found by the property test: phonenumbers calls 30000000000000 a valid German number,
    +4930000000000000, 16 digits, which no switch can send and no lookup can find."""
    reading = read_number("30000000000000", "DE")
    assert reading.national_in is None and len(reading.e164) <= 16  # "+" and at most 15 digits


def test_a_country_unknown_to_the_metadata_reads_international():
    assert read_number("18555801802", "AQ").e164 == "+18555801802"


# --- one reading for storing and looking up ----------------------------------------------------------

_REGIONS = ["US", "CA", "GB", "DE", "FR", "JP", "AU", "HK", "IN", "BR", "NZ", "KH", "IT", "RU", "MX", None]
_DECOR = st.sampled_from(["", " ", "-", ".", "(", ")", "/", "\u00a0"])


@st.composite
def typed_numbers(draw):
    """Digits as people and files write them: with or without +, 00 or a country's prefix,
    trunk marks, separators, tel: URIs, sometimes full-width."""
    digits = draw(st.text(alphabet="0123456789", min_size=3, max_size=16))
    start = draw(st.sampled_from(["", "+", "00", "011", "0011", "010", "0", "1", "tel:+", "+44 (0) "]))
    text = start
    for ch in digits:
        text += ch + draw(_DECOR) if draw(st.booleans()) else ch
    if draw(st.integers(0, 9)) == 0:
        text = text.translate(str.maketrans("0123456789+", "０１２３４５６７８９＋"))
    return text


def _read(text, country):
    try:
        return read_number(text, country).e164
    except ValidationError:
        return None


class _AnyProvider:
    """The import's provider lookup, without a database."""

    def find(self, text):
        return type("Provider", (), {"pk": 1})


def _imported(typed, country):
    """The number the DID import stores for a row (DID, Country, MonthlyFee)."""
    row = RowReader({"number": 0, "country": 1, "monthly_fee": 2}, _AnyProvider())
    try:
        return row([typed, country or "", "1"])["number"]
    except RowError:
        return None


def _charged(typed, country):
    """The number a CDR import looks a call up by, with --country."""
    try:
        return CDRNumbers(country)(typed)
    except RowError:
        return None


@settings(max_examples=int(__import__("os").environ.get("NUMBER_EXAMPLES", "600")), deadline=None)
@given(typed_numbers(), st.sampled_from(_REGIONS))
def test_stored_and_looked_up_forms_are_identical(typed, country):
    """What the DID form stores for a text with its Country is what the DID import stores for
    the same text in a row of that Country, what a CDR import with that --country charges and
    what a switch's lookup finds with its token's country: there is one reader, not four."""
    stored = _read(typed, country)
    assert _imported(typed, country) == stored
    assert _charged(typed, country) == stored
    assert routing_form(typed, country) == stored
    assert routing_form(f"sip:{typed.replace(' ', '')}@carrier.example.net;user=phone", country) == \
        _read(typed.replace(" ", ""), country)
    if stored is not None:
        # The stored form reads back as itself, with or without a country.
        assert _read(stored, country) == stored and _read(stored, None) == stored
        assert routing_form(stored.replace("+", "%2B"), None) is None  # a raw %2B is not a number...
        assert routing_form(f"sip:{stored.replace('+', '%2B')}@h", None) == stored  # ...but an escaped user part is
