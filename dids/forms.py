from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.urls import reverse

from core.forms import MoneyAmountField, WholeNumberField
from core.money import fmt, money
from core.phone import display
from dids.models import DID, Provider
from dids.numbers import NumberReading, read_number

MONEY_FIELDS = ("buy_cost", "connection_cost", "cost_per_min", "setup_fee", "monthly_fee")
# The fields the seed marks with *; every other field has a default.
SEED_REQUIRED = {"number", "monthly_fee", "billing_days"}
# Create Product's help under each field: the seed's manual (../shared/seed/did-management.txt,
# "Create DID Product"), its wording with the grammar mended; Initial Increment, which the manual
# leaves blank, and Buy Cost, which it leaves vague, say what the portal does with them.
FIELD_HELP = {
    "category": "Select the category of the DID. By default DID is selected.",
    "number": "Number to create the DID. Any common format: 18555801802, +1 855-580-1802, "
              "or (855) 580-1802 read in the Country chosen.",
    "provider": "Select the provider of the DID.",
    "country": "Select the country for which the DID is created.",
    "buy_cost": "Define the buy cost: what the provider charges for this DID. Only admins see it.",
    "city": "City for which the DID is created.",
    "province": "Province for which the DID is created.",
    "status": "Select the status of the DID: Active or Inactive. Inactive DIDs cannot be bought.",
    "connection_cost": "Connection fee charged to the customer, at least, when a call is connected.",
    "grace_time": "Seconds of each call's duration that are free.",
    "cost_per_min": "Cost per minute.",
    "initial_increment": "Seconds charged for a call's first block (60: the first minute is charged whole).",
    "increment": "Rate of increment to calculate the call cost. Example: 60 to charge every minute.",
    "setup_fee": "Setup fee for the DID, charged once when it is bought.",
    "monthly_fee": "Monthly cost for the DID, charged every Billing Days.",
    "call_timeout": "The call hangs up automatically after ringing for this many seconds.",
    "billing_type": "One Time: the subscription is assigned once, then ends. Recurring: the subscription "
                    "renews every Billing Days.",
    "billing_days": "Billing days for the subscription.",
    "concurrent_calls": "How many calls may run at the same time (0 = unlimited).",
}


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = ["name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "name",
            "is_active",
            Div(
                Submit("save", "Save"),
                HTML(f'<a class="btn btn-outline-secondary ms-2" href="{reverse("dids:provider_list")}">Cancel</a>'),
                css_class="mt-3",
            ),
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Provider.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A provider with this name already exists.")
        return name


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class DIDForm(forms.ModelForm):
    """The seed's "Create Product" form, field for field, label for label."""

    number = forms.CharField(label="DID", max_length=40)
    provider = ProviderChoiceField(queryset=Provider.objects.none(), label="Provider", empty_label=None)
    buy_cost = MoneyAmountField(label="Buy Cost (USD)", initial="0.0000")
    connection_cost = MoneyAmountField(label="Connection Cost (USD)", initial="0.0000")
    cost_per_min = MoneyAmountField(label="Cost/Min(USD)", initial="0.0000")
    setup_fee = MoneyAmountField(label="Setup Fee (USD)", initial="0.0000")
    monthly_fee = MoneyAmountField(label="MonthlyFee (USD)")
    grace_time = WholeNumberField(label="Grace Time (Sec.)", min_value=0, max_value=86400, initial=0)
    initial_increment = WholeNumberField(label="Initial Increment", min_value=0, max_value=86400, initial=60)
    increment = WholeNumberField(label="Increment", min_value=1, max_value=86400, initial=60)
    call_timeout = WholeNumberField(label="Call Timeout (Sec.)", min_value=1, max_value=600, initial=30)
    billing_days = WholeNumberField(label="Billing Days", min_value=1, max_value=3650, initial=30)
    concurrent_calls = WholeNumberField(label="Concurrent Calls", min_value=0, max_value=100000, initial=0)

    class Meta:
        model = DID
        fields = [
            "category", "number", "provider", "country", "buy_cost", "city", "province", "status",
            "connection_cost", "grace_time", "cost_per_min", "initial_increment", "increment",
            "setup_fee", "monthly_fee", "call_timeout", "billing_type", "billing_days", "concurrent_calls",
        ]
        labels = {"category": "Product Category", "billing_type": "Billing Type"}

    number_reading: NumberReading | None = None  # how the typed DID was read, for the page to say

    def __init__(self, *args, **kwargs):
        self.initial_from_caller = set(kwargs.get("initial") or {})
        super().__init__(*args, **kwargs)
        # Only the seed's starred fields are required; the rest fall back to their defaults.
        for name, field in self.fields.items():
            field.required = name in SEED_REQUIRED
        for name in MONEY_FIELDS:
            value = getattr(self.instance, name, None)
            if value is not None and name not in self.initial_from_caller:
                self.initial[name] = fmt(value)  # the seed's 5.0000, not "$5.00"
        providers = Provider.objects.filter(is_active=True)
        if self.instance.pk:
            # Keep the DID's own provider selectable even after it was deactivated.
            providers = Provider.objects.filter(pk=self.instance.provider_id) | providers
        else:
            default = providers.filter(name=settings.DEFAULT_PROVIDER_NAME).first()
            if default:
                self.initial["provider"] = default.pk
        self.fields["provider"].queryset = providers.order_by("name")
        self.fields["country"].label = "Country"
        self.fields["status"].label = "Status"
        for name, text in FIELD_HELP.items():
            if name in self.fields:
                self.fields[name].help_text = text
        self.helper = self._layout()

    def _layout(self) -> FormHelper:
        helper = FormHelper()
        pair = lambda a, b: Row(Column(a, css_class="col-md-6"), Column(b, css_class="col-md-6"))  # noqa: E731
        helper.layout = Layout(
            Fieldset(
                "Basic Information",
                pair("category", "number"),
                pair("provider", "country"),
                pair("buy_cost", "city"),
                pair("province", "status"),
            ),
            Fieldset(
                "Product Details",
                pair("connection_cost", "grace_time"),
                pair("cost_per_min", "initial_increment"),
                pair("increment", "setup_fee"),
                pair("monthly_fee", "call_timeout"),
                pair("billing_type", "billing_days"),
                pair("concurrent_calls", HTML("")),
            ),
            Div(
                Submit("save", "Save"),
                HTML(f'<a class="btn btn-outline-secondary ms-2" href="{reverse("dids:list")}">Cancel</a>'),
                css_class="mt-3",
            ),
        )
        return helper

    def read(self, name: str) -> NumberReading | None:
        """The number typed in field ``name``, read in the Country chosen (after the
        fields are cleaned: the Country field comes after the DID)."""
        typed = self.cleaned_data.get(name)
        if not typed:
            return None
        try:
            return read_number(typed, self.cleaned_data.get("country") or None)
        except forms.ValidationError as error:
            self.add_error(name, error)
            return None

    def how_read(self) -> str:
        """': “8555801803” read as +1 855-580-1803, United States' when the typed DID was not
        already the stored number (for the page to say), else ''."""
        reading, typed = self.number_reading, self.cleaned_data.get("number_typed", "")
        if reading is None or typed.lstrip("+") == reading.e164.lstrip("+"):
            return ""
        return f": “{typed}” {reading.explanation}"

    def clean(self):
        cleaned = super().clean()
        if "number" in self.fields:
            self.number_reading = self.read("number")
            if self.number_reading is not None:
                cleaned["number_typed"] = cleaned["number"].strip()
                number = cleaned["number"] = self.number_reading.e164
                if DID.objects.filter(number=number).exclude(pk=self.instance.pk).exists():
                    self.add_error("number", forms.ValidationError(f"DID {display(number)} already exists.", code="duplicate"))
        for name, field in self.fields.items():
            if name not in self._meta.fields:
                continue  # a subclass's own field (a range's Last DID), no model default
            if name in cleaned and cleaned[name] in (None, "") and name not in SEED_REQUIRED:
                if name == "provider":
                    default = self.fields["provider"].queryset.filter(name=settings.DEFAULT_PROVIDER_NAME).first()
                    if default is None:
                        self.add_error("provider", "Choose a provider.")
                        continue
                else:
                    default = DID._meta.get_field(name).get_default()
                cleaned[name] = default
        for name in MONEY_FIELDS:
            if cleaned.get(name) is not None:
                cleaned[name] = money(cleaned[name])
        return cleaned
