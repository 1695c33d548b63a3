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
