"""Serializers of the available DIDs and the purchases (api/views/available.py, purchases.py)."""

import re

from django_countries import countries
from rest_framework import serializers

from api.fields import MoneyField
from api.serializers import StrictSerializer
from billing.subscriptions.purchase_many import MAX_AT_ONCE
from core.money import fmt, quantize
from dids.models import DID
from dids.numbers import search_digits

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
NOT_E164 = "Enter the number in E.164: + and 7 to 15 digits, e.g. +18555801802."
DIGITS = "Type digits of the number, e.g. 1855."  # Buy DIDs' message (resellers/forms.py)


class E164Field(serializers.CharField):
    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if not E164.match(text):
            raise serializers.ValidationError(NOT_E164)
        return text


# --- GET /api/v1/available-dids/ -----------------------------------------------------------------

class AvailableQuerySerializer(serializers.Serializer):
    """The query parameters: each optional; one typed wrongly is 422 with its message (never rows
    it did not ask for). Other parameters (cursor, limit) are the list's."""

    country = serializers.CharField(required=False, max_length=2, help_text="ISO 3166 code, e.g. US.")
    city = serializers.CharField(required=False, max_length=100, help_text="Part of the city's name.")
    province = serializers.CharField(required=False, max_length=100, help_text="Part of the province's name.")
    prefix = serializers.CharField(required=False, max_length=20,
                                   help_text="The number starts with these digits (with its country code), e.g. 1855.")
    contains = serializers.CharField(required=False, max_length=20, help_text="The number contains these digits.")
    min_monthly = MoneyField(required=False, help_text="Price per period at least this (what this account pays).")
    max_monthly = MoneyField(required=False, help_text="Price per period at most this (what this account pays).")

    def validate_country(self, value):
        code = value.strip().upper()
        if not countries.alpha2(code):
            raise serializers.ValidationError("Enter a country's ISO 3166 two-letter code, e.g. US.")
        return code

    def _digits(self, value):
        digits = search_digits(value)[:15]
        if value.strip() and not digits.isdigit():
            raise serializers.ValidationError(DIGITS)
        return digits

    validate_prefix = _digits
    validate_contains = _digits

    def validate(self, attrs):
        low, high = attrs.get("min_monthly"), attrs.get("max_monthly")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_monthly": ["Must be at least min_monthly."]})
        return attrs

    def filters(self) -> dict:
        """billing/subscriptions/offers.py search_pool's filters (Buy DIDs' names)."""
        names = {"contains": "number", "min_monthly": "min_price", "max_monthly": "max_price"}
        return {names.get(name, name): value for name, value in self.validated_data.items()
                if value not in (None, "")}


class ChargeNowField(MoneyField):
    """What buying a DID of offers.with_buyer_prices charges now: setup fee + the first period."""

    def to_representation(self, did):
        return fmt(quantize(did.buy_setup_fee) + quantize(did.buy_price))


class AvailableDIDSerializer(serializers.Serializer):
    """One DID of the seller's pool at the price this account pays (offers.with_buyer_prices)."""

    number = serializers.CharField(read_only=True, help_text="E.164, e.g. +18555801802.")
    country = serializers.CharField(read_only=True, help_text="ISO 3166 code; empty when unknown.")
    city = serializers.CharField(read_only=True)
    province = serializers.CharField(read_only=True)
    setup_fee = MoneyField(read_only=True, source="buy_setup_fee", help_text="Charged once, at purchase.")
    monthly_fee = MoneyField(read_only=True, source="buy_price",
                             help_text="Charged per billing period (billing_days), the first at purchase.")
    billing_type = serializers.ChoiceField(read_only=True, choices=DID.BillingType.values)
    billing_days = serializers.IntegerField(read_only=True)
    total = ChargeNowField(read_only=True, source="*",
                           help_text="setup_fee + monthly_fee: what buying it charges now (the expected_total "
                                     "of a purchase of this number alone).")


# --- POST /api/v1/purchases/ --------------------------------------------------------------------

class PurchaseRequestSerializer(StrictSerializer):
    numbers = serializers.ListField(child=E164Field(), min_length=1, max_length=MAX_AT_ONCE,
                                    help_text=f"The DIDs to buy, E.164; 1 to {MAX_AT_ONCE}, each once.")
    expected_total = MoneyField(help_text="The sum of setup_fee + monthly_fee of these numbers, as "
                                          "available-dids shows them: the purchase is refused if it differs.")

    def validate_numbers(self, value):
        seen, twice = set(), []
        for number in value:
            if number in seen and number not in twice:
                twice.append(number)
            seen.add(number)
        if twice:
            raise serializers.ValidationError(f"Each number once: {', '.join(twice)} is listed more than once.")
        return value


class PurchasedNumberSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="E.164.")
    setup_fee = MoneyField()
    monthly_fee = MoneyField(help_text="The price per billing period, its first period charged now.")
    billing_type = serializers.ChoiceField(choices=DID.BillingType.values)
    billing_days = serializers.IntegerField()
    charged = MoneyField(help_text="setup_fee + monthly_fee.")
    period_end = serializers.DateTimeField(help_text="The end of the first period: the next renewal.")


class PurchaseSerializer(serializers.Serializer):
    numbers = PurchasedNumberSerializer(many=True)
    total = MoneyField(help_text="What was charged for all of them together.")
    balance = MoneyField(help_text="The account's balance after the purchase.")
    currency = serializers.CharField(help_text="ISO 4217, e.g. USD.")
