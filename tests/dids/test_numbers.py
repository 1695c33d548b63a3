import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from dids.numbers import country_mismatch, normalize_did, search_digits


@pytest.mark.parametrize(
    "typed",
    ["18555801802", "+18555801802", "+1 855-580-1802", "1 (855) 580.1802", "0018555801802", " 1855 580 1802 "],
)
def test_common_formats_become_e164(typed):
    assert normalize_did(typed) == "+18555801802"


def test_the_seeds_second_example_is_a_japanese_number():
    assert normalize_did("81123456789") == "+81123456789"


@pytest.mark.parametrize("typed", ["abc", "1855580180x", "+", "", "1-800-FLOWERS", "0"])
def test_text_and_garbage_are_refused(typed):
    with pytest.raises(ValidationError):
        normalize_did(typed)


@pytest.mark.parametrize("typed", ["1234", "+1 855", "1855580180212345"])
def test_impossible_numbers_are_refused(typed):
    with pytest.raises(ValidationError) as err:
        normalize_did(typed)
    assert "possible" in str(err.value) or "digits" in str(err.value)


def test_country_mismatch_is_detected_but_only_as_information():
    assert country_mismatch("+18555801802", "HK") is True
    assert country_mismatch("+18555801802", "US") is False
    assert country_mismatch("+18555801802", "CA") is False  # shares +1
    assert country_mismatch("+18555801802", "") is False


def test_search_digits_strips_formatting():
    assert search_digits("+1 855-580") == "1855580"


def _phonenumbers_once(compact: str) -> str | None:
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _phonenumbers_verdict(compact: str) -> str | None:
    """What phonenumbers itself says: the E.164 form of a possible number, else None; and only
    a form that phonenumbers reads back as itself (what is stored must be what a lookup finds)."""
    e164 = _phonenumbers_once(compact)
    return e164 if e164 is not None and _phonenumbers_once(e164) == e164 else None


def test_the_fast_path_agrees_with_phonenumbers_for_every_calling_code():
    """normalize_did skips phonenumbers' general parser for speed (imports of a
    million rows); over every calling code, every length and random digits
    (including national prefixes right after the code), it must give exactly
    phonenumbers' answer."""
    rng = random.Random(1855)
    checked = 0
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        for length in range(len(str(code)) + 1, 16):
            for _ in range(12):
                rest = "".join(rng.choice("0123456789") for _ in range(length - len(str(code))))
                if rng.random() < 0.3:
                    rest = rng.choice("01") + rest[1:]  # national prefix-like digits after the code
                compact = f"+{code}{rest}"
                expected = _phonenumbers_verdict(compact)
                try:
                    got = normalize_did(compact)
                except ValidationError:
                    got = None
                assert got == expected, compact
                checked += 1
    assert checked > 30_000


def test_the_validity_shortcut_agrees_with_phonenumbers():
    """dids.numbers._valid builds the number from its parts instead of parsing it again."""
    from dids.numbers import _international, _valid

    rng = random.Random(646)
    checked = 0
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        for _ in range(40):
            rest = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 12)))
            e164 = _international(f"+{code}{rest}")
            if e164 is None:
                continue
            assert _valid(e164) == phonenumbers.is_valid_number(phonenumbers.parse(e164, None)), e164
            checked += 1
    assert checked > 3000
