"""The base of every API serializer, and the account's.

Mass assignment, decided once here: a request body with a field the serializer cannot set
(unknown, or read-only such as ``balance``, ``status``, ``number``) is refused with 422 and
``errors: {"balance": ["This field cannot be set."]}``; nothing is silently ignored, so a
client never believes it changed what it did not. Every serializer that reads input inherits
``StrictSerializer`` (or ``StrictModelSerializer``)."""

from rest_framework import serializers

from api.fields import MoneyField

NOT_SETTABLE = "This field cannot be set."


class StrictMixin:
    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            extra = sorted(set(data) - writable)
            if extra:
                raise serializers.ValidationError({name: [NOT_SETTABLE] for name in extra})
        return super().to_internal_value(data)


class StrictSerializer(StrictMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictMixin, serializers.ModelSerializer):
    pass


class AccountSerializer(StrictSerializer):
    """GET /api/v1/account/: the token's account; for an admin's token the operator, which has
    no account number, balance or credit limit of its own (null)."""

    number = serializers.CharField(read_only=True, allow_null=True,
                                   help_text="The account number (10 digits); null for the operator.")
    name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(read_only=True, choices=["reseller", "customer", "operator"])
    balance = MoneyField(read_only=True, allow_null=True,
                         help_text='Exact, 4 decimal places, as a string ("25.0000"); null for the operator.')
    credit_limit = MoneyField(read_only=True, allow_null=True,
                              help_text="How far below zero the balance may go; null for the operator.")
    status = serializers.ChoiceField(read_only=True, choices=["active", "suspended"])
    currency = serializers.CharField(read_only=True, help_text="ISO 4217, e.g. USD.")
    login = serializers.CharField(read_only=True, help_text="The login the token acts as.")
