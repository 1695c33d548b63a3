"""The forms of the two-factor pages: a code, and the password that turns two-factor off or
makes new recovery codes."""

from django import forms


class AuthenticationCodeForm(forms.Form):
    """The code step of a login: the app's six digits or a recovery code."""

    code = forms.CharField(
        label="Authentication code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "none",
                                      "spellcheck": "false"}),
    )


class EnrolmentCodeForm(forms.Form):
    """The first code of a new authenticator app: it proves the app has the secret."""

    code = forms.CharField(
        label="Code from the app",
        max_length=12,
        help_text="The 6-digit code the app shows for this portal.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordConfirmForm(forms.Form):
    """The user's own password again, for a change that weakens or replaces the second factor."""

    password = forms.CharField(label="Your password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
