"""The admin's forms for switch tokens: a new one (its name and country; the token itself
is generated), and a token's country."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout, Submit
from django import forms
from django.urls import reverse

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
