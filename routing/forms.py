"""The admin's form for a new switch token: only its name; the token itself is generated."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout, Submit
from django import forms
from django.urls import reverse

from routing.models import SwitchToken


class SwitchTokenForm(forms.Form):
    name = forms.CharField(
        label="Switch name", max_length=100,
        help_text="Which switch will use it, e.g. fs1.example.net. Names stay taken after a token is revoked.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "name",
            Div(
                Submit("save", "Create token"),
                HTML(f'<a class="btn btn-outline-secondary ms-2" href="{reverse("routing:tokens")}">Cancel</a>'),
                css_class="mt-3",
            ),
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if SwitchToken.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("A token with this name exists (it may be revoked): choose another name.")
        return name
