"""Serializer fields of the API's public contract.

Money is a string with exactly 4 decimal places ("25.0000"), read and written exactly
(core/money.py); never a JSON number, which clients parse as a binary float.
"""

from decimal import Decimal

from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.forms import MoneyAmountField
from core.money import fmt


MONEY_SCHEMA = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{4}$", "example": "25.0000",
                "description": "Money: exact, 4 decimal places, as a string."}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """Out: "5.0000" (from a Money or a Decimal). In: a string ("5", "5.0000") or a whole
    number, with the same checks as the pages' money inputs (core.forms.MoneyAmountField: plain
    digits, at most 4 places, within the bounds); a JSON number with a fraction is refused."""

    def __init__(self, *, min_value=Decimal("0"), max_value=None, **kwargs):
        self._form_field = MoneyAmountField(min_value=min_value, **({"max_value": max_value} if max_value else {}))
        super().__init__(**kwargs)

    def to_representation(self, value):
        return fmt(value)

    def to_internal_value(self, data):
        if isinstance(data, float) or isinstance(data, bool):
            self.fail_text("Send amounts as strings, e.g. \"5.0000\".")
        if not isinstance(data, (str, int)):
            self.fail_text("Enter an amount in plain digits, e.g. 5 or 5.0000.")
        try:
            value = self._form_field.clean(str(data))
        except forms.ValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        if value is None:
            self.fail_text("This field is required.")
        return value

    @staticmethod
    def fail_text(message: str):
        raise serializers.ValidationError(message)
