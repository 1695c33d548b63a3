"""The admin's forms for switch tokens (a new one: its name and country, the token itself
generated; a token's country), and where a DID's calls go."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout, Submit
from django import forms
from django.urls import reverse

from billing.models import Subscription
from routing.destinations import normalise
from routing.models import SwitchToken

COUNTRY_HELP = ("Where the called numbers this switch sends without a calling code belong: a US carrier sends "
                "8555801803 for +1 855-580-1803. Leave blank if the switch always sends the calling code "
                "(+18555801803 or 18555801803).")


NO_COUNTRY = "— none: numbers carry their calling code —"


def _no_country_label(field) -> None:
    field.choices = [("", NO_COUNTRY)] + [choice for choice in field.choices if choice[0]]


def _buttons(label: str) -> Div:
    return Div(
        Submit("save", label),
        HTML(f'<a class="btn btn-outline-secondary ms-2" href="{reverse("routing:tokens")}">Cancel</a>'),
        css_class="mt-3",
    )


class SwitchTokenForm(forms.Form):
    name = forms.CharField(
        label="Switch name", max_length=100,
        help_text="Which switch will use it, e.g. fs1.example.net. Names stay taken after a token is revoked.",
    )
    country = SwitchToken._meta.get_field("country").formfield(label="Country of national numbers",
                                                               help_text=COUNTRY_HELP, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _no_country_label(self.fields["country"])
        self.helper = FormHelper()
        self.helper.layout = Layout("name", "country", _buttons("Create token"))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if SwitchToken.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("A token with this name exists (it may be revoked): choose another name.")
        return name


class SwitchTokenCountryForm(forms.ModelForm):
    class Meta:
        model = SwitchToken
        fields = ["country"]
        labels = {"country": "Country of national numbers"}
        help_texts = {"country": COUNTRY_HELP}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _no_country_label(self.fields["country"])
        self.helper = FormHelper()
        self.helper.layout = Layout("country", _buttons("Save"))


class DestinationForm(forms.Form):
    """Where a DID's calls go (routing/destinations.py checks and normalises the destination)."""

    call_type = forms.ChoiceField(label="Call Type", choices=Subscription.CallType.choices)
    destination = forms.CharField(label="Destination", max_length=255, strip=True)

    def __init__(self, *args, did_number: str | None = None, did_country: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.did_number, self.did_country = did_number, did_country
        self.fields["destination"].error_messages["required"] = "Enter the destination."

    def clean(self):
        cleaned = super().clean()
        call_type, text = cleaned.get("call_type"), cleaned.get("destination")
        if call_type and text:
            try:
                cleaned["destination"] = normalise(call_type, text, did_number=self.did_number,
                                                   country=self.did_country)
            except forms.ValidationError as error:
                self.add_error("destination", error)
        return cleaned
