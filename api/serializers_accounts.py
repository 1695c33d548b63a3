"""Serializers of accounts and their money: a reseller's customers (/api/v1/customers/), the
admin's accounts (/api/v1/admin/accounts/), a recorded payment and the admin's funds.

Every body is checked by the page's own form (api/form_input.py): the admin's Create and Edit
Account (accounts/forms_admin.py; a reseller's Create without Parent and Status, as its Customers
page), Record payment, Add funds and Adjustment (billing/forms.py), with their messages. A body
never sets a balance, a parent (a reseller's customers are always its own), a kind after
creation, or an account number: those fields are 422 (api/serializers.py)."""

from rest_framework import serializers

from accounts.forms_admin import AccountCreateForm, AccountEditForm
from accounts.models import Account
from api.fields import MoneyField
from api.form_input import FormSerializer
from api.serializers import NOT_SETTABLE
from billing.forms import AddFundsForm, AdjustmentForm, PaymentForm
from billing.models import LedgerEntry
from core.money import fmt

KINDS = Account.Kind.values
STATUSES = Account.Status.values
LEDGER_KINDS = LedgerEntry.Kind.values  # the schema's LedgerEntryKindEnum (settings.SPECTACULAR_SETTINGS)


# --- answers -----------------------------------------------------------------------------------

class AccountOutSerializer(serializers.Serializer):
    """An account below the token's login (a reseller's customer or sub-reseller; any, for an admin)."""

    number = serializers.CharField(read_only=True, help_text="The account number (10 digits).")
    name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(read_only=True, choices=KINDS,
                                   help_text="customer, or reseller (a sub-reseller when under a reseller).")
    parent = serializers.CharField(read_only=True, allow_null=True, source="parent.number", default=None,
                                   help_text="The account number of the reseller it buys from; null: the operator.")
    email = serializers.CharField(read_only=True)
    username = serializers.CharField(read_only=True, allow_null=True, source="user.username", default=None,
                                     help_text="Its login.")
    balance = MoneyField(read_only=True, help_text="Exact, 4 decimal places, as a string.")
    credit_limit = MoneyField(read_only=True, help_text="How far below zero the balance may go.")
    status = serializers.ChoiceField(read_only=True, choices=STATUSES)
    created_at = serializers.DateTimeField(read_only=True)


class EntryOutSerializer(serializers.Serializer):
    """The ledger entry a payment, a refill or an adjustment posted (a line of the account's statement)."""

    account_number = serializers.CharField(read_only=True, source="account.number")
    seq = serializers.IntegerField(read_only=True, help_text="The entry's place in the account's ledger: 1, 2, 3...")
    kind = serializers.ChoiceField(read_only=True, choices=LEDGER_KINDS,
                                   help_text="payment, funds_added (a refill) or adjustment.")
    amount = MoneyField(read_only=True)
    description = serializers.CharField(read_only=True, help_text="The reference, description or reason, as the "
                                                                  "statement shows it.")
    balance_after = MoneyField(read_only=True, help_text="The account's balance after this entry.")
    created_at = serializers.DateTimeField(read_only=True)


# --- a reseller's customers ----------------------------------------------------------------------

class CustomerCreateForm(AccountCreateForm):
    """The reseller's Create Customer (resellers/forms_customers.py): the admin's form without
    Parent and Status (the parent is the reseller, the status Active). The api layer cannot
    import the resellers pages, so the two lines that make it are repeated here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["parent"], self.fields["status"]


class CustomerCreateInput(FormSerializer):
    form_class = CustomerCreateForm
    renames = {"password": "password1"}

    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=KINDS, required=False,
                                   help_text="customer (default) or reseller (a sub-reseller of yours).")
    email = serializers.CharField(required=False, allow_blank=True)
    credit_limit = MoneyField(required=False, help_text='Default "0.0000".')
    username = serializers.CharField(help_text="Its login: letters, digits and @ . + - _ only.")
    password = serializers.CharField(write_only=True, help_text="Checked by the portal's password rules.")

    def __init__(self, *args, **kwargs):
        # The page's initial values: what a body that leaves them out means.
        kwargs.setdefault("base", {"kind": Account.Kind.CUSTOMER, "credit_limit": "0"})
        super().__init__(*args, **kwargs)

    def form_data(self, data):
        out = super().form_data(data)
        if "password1" in out:
            out["password2"] = out["password1"]  # one password in a body: nobody mistypes it twice
        return out


class AccountEditInput(FormSerializer):
    """PATCH: Edit Account's name, e-mail and credit limit, and the status (Suspend/Reactivate)."""

    form_class = AccountEditForm
    passthrough = ("status",)

    name = serializers.CharField(required=False)
    email = serializers.CharField(required=False, allow_blank=True)
    credit_limit = MoneyField(required=False)
    status = serializers.ChoiceField(choices=STATUSES, required=False,
                                     help_text="suspended: it can no longer log in or buy; active: again.")

    @staticmethod
    def base_of(account: Account) -> dict:
        return {"name": account.name, "email": account.email, "credit_limit": fmt(account.credit_limit)}


# --- the admin's accounts ----------------------------------------------------------------------

class AccountCreateInput(CustomerCreateInput):
    """The admin's Create Account: any parent (a reseller's account number, null: the operator) and status."""

    form_class = AccountCreateForm

    parent = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                   help_text="A reseller's account number; omitted or null: the operator.")
    status = serializers.ChoiceField(choices=STATUSES, required=False, help_text="Default active.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("base", {"kind": Account.Kind.CUSTOMER, "credit_limit": "0", "status": Account.Status.ACTIVE})
        super().__init__(*args, **kwargs)

    def form_data(self, data):
        out = super().form_data(data)
        number = out.get("parent")
        if number:
            # The form chooses a parent by id; the API names it by its account number. An unknown
            # number (or not a reseller's) gets the form's own "Select a valid choice".
            found = Account.objects.filter(number=number, kind=Account.Kind.RESELLER).values_list("pk", flat=True)
            out["parent"] = str(found[0]) if found else f"number {number}"
        return out


# --- money ---------------------------------------------------------------------------------------

class PaymentInput(FormSerializer):
    """Record payment: a customer paid its reseller (cash, bank transfer)."""

    form_class = PaymentForm
    drop = ("idempotency_key",)

    amount = MoneyField(help_text="Above 0.")
    reference = serializers.CharField(required=False, allow_blank=True,
                                      help_text="A receipt number, a bank transfer's reference: shown on the statement.")


REFILL, ADJUSTMENT = "refill", "adjustment"


class FundsInput(FormSerializer):
    """The admin's Add funds (``kind`` refill: a positive amount, an optional description) or
    Adjustment (``kind`` adjustment: a credit or a debit, with a reason)."""

    drop = ("idempotency_key",)
    FORMS = {REFILL: AddFundsForm, ADJUSTMENT: AdjustmentForm}
    FIELDS = {REFILL: {"kind", "amount", "description"}, ADJUSTMENT: {"kind", "amount", "reason"}}

    kind = serializers.ChoiceField(choices=[REFILL, ADJUSTMENT], required=False,
                                   help_text="refill (default): Add funds; adjustment: a correction with a reason.")
    amount = MoneyField(min_value=None, help_text="refill: above 0; adjustment: positive credits, negative debits, "
                                                  "never 0.")
    description = serializers.CharField(required=False, allow_blank=True, help_text="refill only.")
    reason = serializers.CharField(required=False, help_text="adjustment only: shown on the account's statement.")

    def to_internal_value(self, data):
        kind = (data.get("kind") or REFILL) if isinstance(data, dict) else REFILL
        if not isinstance(kind, str) or kind not in self.FORMS:
            raise serializers.ValidationError(
                {"kind": [f"Select a valid choice. {kind} is not one of the available choices."]})
        self.form_class = self.FORMS[kind]
        other = sorted((set(data) & set(self.fields)) - self.FIELDS[kind])  # the other kind's field
        if other:
            raise serializers.ValidationError({name: [NOT_SETTABLE] for name in other})
        return {**super().to_internal_value(data), "kind": kind}
