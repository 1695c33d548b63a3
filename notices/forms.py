"""The notice settings page's form: the low-balance alert level and, per kind, in-app only or also by
e-mail (a required choice per kind, so an empty or partial post is refused, never read as "no e-mail")."""

from django import forms

from core.forms import MoneyAmountField
from notices.preferences import KINDS

BY_EMAIL, IN_APP = "email", "in_app"
DELIVERY = [(BY_EMAIL, "In the portal and by e-mail"), (IN_APP, "In the portal only")]


class NoticeSettingsForm(forms.Form):
    low_balance_threshold = MoneyAmountField(
        label="Low balance alert below (USD)", required=False,
        help_text="A notice when a charge takes your balance below this amount, at most once a day. "
                  "Leave empty for no alert.",
        error_messages={"min_value": "Enter 0 or more (leave it empty for no alert)."},
    )

    def __init__(self, *args, emailed: set[str] | None = None, threshold=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["low_balance_threshold"].initial = threshold
        for kind in KINDS:
            self.fields[f"delivery_{kind.value}"] = forms.ChoiceField(
                label=kind.label, choices=DELIVERY, widget=forms.RadioSelect,
                initial=BY_EMAIL if emailed is None or kind.value in emailed else IN_APP,
                error_messages={"required": "Choose how this notice reaches you."},
            )

    def delivery_fields(self):
        return [self[f"delivery_{kind.value}"] for kind in KINDS]

    def by_email(self) -> set[str]:
        return {kind.value for kind in KINDS if self.cleaned_data[f"delivery_{kind.value}"] == BY_EMAIL}
