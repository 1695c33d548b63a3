"""Forms of the money pages: Add funds, Adjustment, a reseller's Record payment and Adjustment,
the statement's date filter, Edit Info's SELL COST (prices and call rates), a DID's destination."""

import uuid
from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.urls import reverse

from dids.rating import SELL_RATE_NAMES
from core.forms import MAX_PRICE, MoneyAmountField, WholeNumberField


class _IdempotentForm(forms.Form):
    """A hidden key made when the form is first shown. Posting the same form twice
    (double click, browser retry, back + resubmit) sends the same key, and the
    ledger's unique key makes the second post find the first one."""

    key_prefix = ""
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs["initial"] = {"idempotency_key": uuid.uuid4(), **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].error_messages = {
            "required": "This form has expired. Reload the page and try again.",
            "invalid": "This form has expired. Reload the page and try again.",
        }

    @property
    def ledger_key(self) -> str:
        return f"{self.key_prefix}:{self.cleaned_data['idempotency_key']}"

    def _helper(self, action: str, button: str) -> FormHelper:
        helper = FormHelper()
        helper.form_action = action
        helper.layout = Layout(*[name for name in self.fields], Submit("save", button))
        return helper


class AccountKeyedForm(_IdempotentForm):
    """An idempotent form keyed per account: its hidden key names the account the form was
    shown for ("<account number>:<uuid>"), and the ledger key embeds it. A key taken from one
    account's form and posted to another account's page is refused (nothing posted), and two
    accounts' keys can never meet in ``post_once``."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)

    def __init__(self, *args, account_number: str, **kwargs):
        self.account_number = account_number
        kwargs["initial"] = {"idempotency_key": f"{account_number}:{uuid.uuid4()}", **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)

    def clean_idempotency_key(self):
        number, _, key = self.cleaned_data["idempotency_key"].partition(":")
        try:
            key = uuid.UUID(key)
        except ValueError:
            raise forms.ValidationError("This form has expired. Reload the page and try again.", code="invalid")
        if number != self.account_number:
            raise forms.ValidationError("This form was made for another account. Reload the page and try again.",
                                        code="other_account")
        return key

    @property
    def ledger_key(self) -> str:
        return f"{self.key_prefix}:{self.account_number}:{self.cleaned_data['idempotency_key']}"


class AddFundsForm(_IdempotentForm):
    key_prefix = "refill"
    prefix = "funds"

    amount = MoneyAmountField(label="Amount (USD)", min_value=None, help_text="Above 0, at most 4 decimal places.")
    description = forms.CharField(label="Description", max_length=255, required=False)

    def __init__(self, *args, account_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper(reverse("billing:add_funds", args=[account_id]), "Add Funds")

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("Enter an amount above 0.", code="not_positive")
        return amount


class _AdjustmentFields(forms.Form):
    """An adjustment's amount and reason (the admin's form and a reseller's)."""

    amount = MoneyAmountField(
        label="Amount (USD)",
        min_value=-MAX_PRICE,
        help_text="Positive credits the account, negative (e.g. -5.0000) debits it.",
    )
    reason = forms.CharField(label="Reason", max_length=255, help_text="Shown on the account's statement.")

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("An adjustment cannot be 0.", code="zero")
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Enter the reason for this adjustment.", code="required")
        return reason


class AdjustmentForm(_AdjustmentFields, _IdempotentForm):
    key_prefix = "adjust"
    prefix = "adjust"

    def __init__(self, *args, account_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper(reverse("billing:adjust", args=[account_id]), "Post Adjustment")


class AccountAdjustmentForm(_AdjustmentFields, AccountKeyedForm):
    """A reseller's adjustment on an account directly below it, keyed per account."""

    key_prefix = "adjust"


class PaymentForm(AccountKeyedForm):
    """Record payment: a customer paid its reseller (cash, bank transfer), keyed per account."""

    key_prefix = "payment"

    amount = MoneyAmountField(label="Amount (USD)", min_value=None, help_text="Above 0, at most 4 decimal places.")
    reference = forms.CharField(
        label="Reference", max_length=255, required=False,
        help_text="How it was paid: a receipt number, a bank transfer's reference. Shown on the statement.",
    )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("Enter an amount above 0.", code="not_positive")
        return amount


class StatementFilterForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def dates(self) -> tuple[date | None, date | None]:
        """The valid filter (an invalid one filters nothing and shows its error)."""
        if not self.is_bound or not self.is_valid():
            return None, None
        return self.cleaned_data["date_from"], self.cleaned_data["date_to"]

    @property
    def is_filtered(self) -> bool:
        return any(self.dates())


class SellCostForm(forms.Form):
    """Edit Info's SELL COST column: the only prices a seller sets. The buyer it
    applies to comes from the page's "Sell to" choice; BUY COST is never posted."""

    buyer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sell_setup_fee = MoneyAmountField(label="Setup Fee (USD)")
    sell_price = MoneyAmountField(label="Price (USD)")
    # The call rates (labels of the seed's Create Product form). Only for a reseller's default
    # sell cost; a post without any of them leaves the rates as they are.
    sell_connection_cost = MoneyAmountField(label="Connection Cost (USD)", required=False)
    sell_grace_time = WholeNumberField(label="Grace Time (Sec.)", min_value=0, max_value=86400, required=False)
    sell_cost_per_min = MoneyAmountField(label="Cost/Min(USD)", required=False)
    sell_initial_increment = WholeNumberField(label="Initial Increment", min_value=0, max_value=86400,
                                              required=False)
    sell_increment = WholeNumberField(label="Increment", min_value=1, max_value=86400, required=False)
    below_cost = forms.BooleanField(required=False, label="Sell below cost")

    RATE_FIELDS = SELL_RATE_NAMES

    def __init__(self, *args, with_rates: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_rates:  # the operator's page and per-buyer prices have no rates to post
            for name in self.RATE_FIELDS:
                del self.fields[name]

    @property
    def has_rates(self) -> bool:
        return self.RATE_FIELDS[0] in self.fields

    @property
    def rates_posted(self) -> bool:
        return self.has_rates and any(name in self.data for name in self.RATE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if self.rates_posted:
            for name in self.RATE_FIELDS:
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, forms.ValidationError("This field is required.", code="required"))
        return cleaned

    def rate_values(self) -> dict | None:
        """The five posted rates (valid form), or None when none was posted."""
        if not self.rates_posted:
            return None
        return {name: self.cleaned_data[name] for name in self.RATE_FIELDS}
