"""The Webhooks page's form: the URL and the events it receives."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout, Submit
from django import forms
from django.urls import reverse

from webhooks.models import EventType


class EndpointForm(forms.Form):
    url = forms.CharField(label="URL", max_length=500,
                          help_text="HTTPS. Each event is POSTed here as JSON, signed (see the API reference).")
    events = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple,
                                       help_text="Choose at least one.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(value, f"{value}: {label}") for value, label in EventType.choices]
        self.helper = FormHelper()
        self.helper.layout = Layout("url", "events", Div(
            Submit("create", "Add endpoint"),
            HTML(f'<a class="btn btn-outline-secondary ms-2" href="{reverse("webhooks:list")}">Cancel</a>'),
            css_class="mt-3"))
