"""Money in the API (api/fields.py): a 4-place string out, the pages' checks in, never a float."""

from decimal import Decimal

import pytest
from djmoney.money import Money
from rest_framework import serializers

from api.fields import MoneyField


def test_out_is_a_four_place_string():
    field = MoneyField()
    assert field.to_representation(Money("5", "USD")) == "5.0000"
    assert field.to_representation(Decimal("-1.23456")) == "-1.2346"  # half up, as core.money


@pytest.mark.parametrize("value, expected", [("5", Decimal("5")), ("5.0000", Decimal("5.0000")), (7, Decimal("7")),
                                             (" 12.5 ", Decimal("12.5"))])
def test_in_reads_strings_and_whole_numbers(value, expected):
    assert MoneyField().to_internal_value(value) == expected


@pytest.mark.parametrize("value", [5.5, True, "1e3", "5.12345", "-1", "abc", "", None, [], "99999999999"])
def test_in_refuses_floats_and_what_the_pages_refuse(value):
    with pytest.raises(serializers.ValidationError):
        MoneyField().to_internal_value(value)
