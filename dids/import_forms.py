"""Forms of the import pages: a CSV upload, and a range of numbers with the
product fields of Create Product."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.urls import reverse

from billing_portal.forms import WholeNumberField, checked_csv_upload
from dids.forms import MONEY_FIELDS, DIDForm, ProviderChoiceField
from dids.importing.cells import FIELDS
from dids.models import Provider


class DIDImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="First line: column names, as in Export CSV (DID and MonthlyFee (USD) are required). "
                  "UTF-8, with or without BOM; comma, semicolon or tab separated.",
    )
    provider = ProviderChoiceField(
        queryset=Provider.objects.none(), label="Provider", empty_label=None,
        help_text="For rows without a Provider column or with it empty.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.filter(is_active=True).order_by("name")
        default = self.fields["provider"].queryset.filter(name=settings.DEFAULT_PROVIDER_NAME).first()
        if default:
            self.fields["provider"].initial = default.pk
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv,text/plain"

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
