"""The API tokens page's form."""

from datetime import timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout, Submit
from django import forms
from django.urls import reverse

# Expiry choices, in days ("" = never).
EXPIRY_CHOICES = [("", "Never"), ("7", "In 7 days"), ("30", "In 30 days"), ("90", "In 90 days"),
                  ("365", "In a year")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What uses it, e.g. \"WHMCS on billing.example.com\".")
    expires_in = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, required=False,
                                   help_text="After that every request with it gets 401.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout("name", "expires_in", Div(
            Submit("create", "Create token"),
            HTML(f'<a class="btn btn-outline-secondary ms-2" href="{reverse("api_tokens:list")}">Cancel</a>'),
            css_class="mt-3"))

    def expires_at(self, now):
        days = self.cleaned_data.get("expires_in")
        return now + timedelta(days=int(days)) if days else None
