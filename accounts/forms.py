from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class PortalLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password, or the account is suspended.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django only sets the HTML maxlength: a longer name, which no user can have, is
        # refused here instead of being tried, logged and counted.
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class UnlockForm(forms.Form):
    """One locked (username, address) pair, as listed on the Login security page."""

    username = forms.CharField(max_length=255, strip=False)
    # Blank when the request had no address (axes stores NULL).
    ip_address = forms.GenericIPAddressField(required=False)
