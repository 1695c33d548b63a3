"""The called number in every form a switch or a carrier sends it."""

import pytest

from routing.numbers import normalise


@pytest.mark.parametrize("raw", [
    "+18555801802", "18555801802", "0018555801802", " 18555801802",  # "+" in a query string arrives as a space
    "+1 855-580-1802", "1 (855) 580.1802", "sip:+18555801802@carrier.example.net", "sip:18555801802@10.0.0.1:5060",
    "SIP:+18555801802@host;user=phone", "sips:+18555801802@host", "tel:+1-855-580-1802",
    "<sip:+18555801802@carrier.example.net;user=phone>", "sip:+18555801802;npdi@host",
])
def test_common_forms_become_e164(raw):
    assert normalise(raw) == "+18555801802"


@pytest.mark.parametrize("raw", [
    "", "   ", "+", "abc", "sip:alice@pbx.example.com", "+0123456", "0123456", "+1234567890123456",  # 16 digits
    "1855580180x", "18555801802; DROP TABLE dids_did", "+1\n8555801802\x00", "tel:", "sip:@host", "1",
])
def test_anything_else_is_not_a_number(raw):
    assert normalise(raw) is None


@pytest.mark.parametrize("raw, country, number", [
    ("+44 (0) 20 7946 0958", None, "+442079460958"),  # was looked up as +4402079460958, stored as +442079460958
    ("8555801803", "US", "+18555801803"),  # a US carrier's 10 digits, with the token's country
    ("sip:8555801803@carrier.example.net", "US", "+18555801803"),
    ("011442079460958", "US", "+442079460958"),
    ("sip:%2B18555801802@carrier.example.net", None, "+18555801802"),  # an escaped + in the user part
    ("18555801802", "GB", "+18555801802"),  # not a valid UK number: international
])
def test_the_switch_tokens_country_reads_national_numbers(raw, country, number):
    assert normalise(raw, country) == number
