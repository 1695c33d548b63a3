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
