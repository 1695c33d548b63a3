"""Forms of the import pages: a CSV upload with the import's settings (provider,
country for numbers without one, values for rows without their own, whose the
carrier prices are), and a range of numbers with the product fields of Create Product."""

import copy
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.urls import reverse

from core.forms import WholeNumberField, checked_csv_upload
from core.money import fmt
from dids.forms import MONEY_FIELDS, DIDForm, ProviderChoiceField
from dids.importing.cells import DEFAULTS, FIELDS
from dids.importing.columns import COST, LABEL, SELL
from dids.importing.csv_file import Choices
from dids.models import DID, Provider

# Values an import can give rows without their own (blank cell or no column).
DEFAULT_FIELDS = ("buy_cost", "setup_fee", "monthly_fee", "billing_type", "billing_days", "status")
_CHOICE_LABELS = {"status": dict(DID.Status.choices), "billing_type": dict(DID.BillingType.choices)}


def _default_field(name: str) -> forms.Field:
    """The Create Product field (same limits, same messages), optional, saying what blank means."""
    if name in _CHOICE_LABELS:
        blank = f"As in the file, else {_CHOICE_LABELS[name][DEFAULTS[name]]}"
        return forms.ChoiceField(label=LABEL[name], required=False,
                                 choices=[("", blank)] + list(_CHOICE_LABELS[name].items()))
    field = copy.deepcopy(DIDForm.base_fields[name])
    field.required, field.initial = False, None
    if name == "monthly_fee":
        field.help_text = "Blank: each row's own (a file without prices needs one here)."
    else:
        shown = fmt(DEFAULTS[name]) if name in MONEY_FIELDS else DEFAULTS[name]
        field.help_text = f"Blank: each row's own, else {shown}."
    return field


class ImportSettingsForm(forms.Form):
    """How a file is read and what rows without their own values get: the import page,
    and the preview's Check again (the same values are kept for Confirm)."""

    provider = ProviderChoiceField(
        queryset=Provider.objects.none(), label="Provider", empty_label=None,
        help_text="For rows without a Provider column or with it empty.",
    )
    country = copy.deepcopy(DIDForm.base_fields["country"])
    prices = forms.ChoiceField(
        label="Prices in this file are", required=False, widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        choices=[(COST, f"the provider's cost: MRC → {LABEL['buy_cost']}; NRC is not imported (a DID has no field "
                        "for a provider's one-time charge)"),
                 (SELL, f"our sell price: MRC → {LABEL['monthly_fee']}, NRC → {LABEL['setup_fee']}")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.filter(is_active=True).order_by("name")
        default = self.fields["provider"].queryset.filter(name=settings.DEFAULT_PROVIDER_NAME).first()
        if default:
            self.fields["provider"].initial = default.pk
        country = self.fields["country"]
        country.label, country.required = "Country for numbers without one", False
        country.choices = [("", "— none —")] + [c for c in country.choices if c[0]]
        country.help_text = ("Numbers in national form, e.g. (855) 580-1803, are read in the row's Country, else in "
                             "this one; a row without a Country gets it when its number is of that country.")
        for name in DEFAULT_FIELDS:
            self.fields[name] = _default_field(name)

    def kept(self) -> dict:
        """The settings as posted, to keep with the pending preview (bound again on Confirm)."""
        return {name: self.data.get(name, "") for name in self.fields if name != "file"}

    def choices(self, overrides: dict[int, str] | None = None) -> Choices:
        data = self.cleaned_data
        defaults = {}
        for name in DEFAULT_FIELDS:
            value = data.get(name)
            if value in (None, ""):
                continue
            defaults[name] = value.quantize(Decimal("0.0001")) if name in MONEY_FIELDS else value
        return Choices(country=str(data.get("country") or ""), defaults=defaults, overrides=dict(overrides or {}),
                       prices=data.get("prices") or "")

    def default_fields(self):
        return [self[name] for name in DEFAULT_FIELDS]


class DIDImportForm(ImportSettingsForm):
    file = forms.FileField(
        label="CSV file",
        help_text="First line: column names (Export CSV's, or a carrier's: Number, MRC, Rate Center...); the preview "
                  "shows how each column is used and lets you change it. UTF-8, with or without BOM; comma, "
                  "semicolon or tab separated.",
    )
    field_order = ["file", "provider", "country"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["prices"]  # asked on the preview, for the file's own price columns
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv,text/plain"
        self.order_fields(self.field_order)

    def clean_file(self):
        return checked_csv_upload(self.cleaned_data["file"], "import_dids")


class DIDRangeForm(DIDForm):
    """Create Product for a block of numbers: the first number, then the last or a count."""

    number = None
    first = forms.CharField(label="First DID", max_length=40, help_text="Any common format: 18555801800.")
    last = forms.CharField(label="Last DID", max_length=40, required=False)
    count = WholeNumberField(label="Count", min_value=1, required=False, help_text="Instead of the last DID.")

    class Meta(DIDForm.Meta):
        fields = [f for f in DIDForm.Meta.fields if f != "number"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first"].required = True
        self.fields["count"].help_text = f"Instead of the last DID; at most {settings.DID_RANGE_MAX:,}."

    def _layout(self) -> FormHelper:
        helper = FormHelper()
        three = lambda a, b, c: Row(*(Column(f, css_class="col-md-4") for f in (a, b, c)))  # noqa: E731
        helper.layout = Layout(
            Fieldset("Numbers", three("first", "last", "count")),
            Fieldset(
                "Product",
                three("category", "provider", "country"),
                three("city", "province", "status"),
                three("buy_cost", "setup_fee", "monthly_fee"),
                three("connection_cost", "cost_per_min", "grace_time"),
                three("initial_increment", "increment", "call_timeout"),
                three("billing_type", "billing_days", "concurrent_calls"),
            ),
            Div(
                Submit("preview", "Preview"),
                HTML(f'<a class="btn btn-outline-secondary ms-2" href="{reverse("dids:list")}">Cancel</a>'),
                css_class="mt-3",
            ),
        )
        return helper

    def clean(self):
        cleaned = super().clean()
        for name in ("first", "last"):  # read in the range's Country
            reading = self.read(name)
            if name in cleaned:
                cleaned[name] = reading.e164 if reading else ""
        return cleaned

    def product(self) -> dict:
        """The values every DID of the range gets (as the import's rows carry them)."""
        data = self.cleaned_data
        values = {name: data[name] for name in FIELDS if name not in ("number", "provider")}
        for name in MONEY_FIELDS:
            values[name] = values[name].amount
        values["provider"] = data["provider"].pk
        values["country"] = str(data["country"] or "")
        return values
