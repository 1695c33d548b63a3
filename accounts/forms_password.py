"""Django's password forms, with the rules listed once above the fields
(templates/includes/password_rules.html) instead of under the first password."""

from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm


class _RulesAboveTheFields:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = ""


class ChangePasswordForm(_RulesAboveTheFields, PasswordChangeForm):
    """Old password, new password twice; the validators run on the new one (errors under the second)."""


class NewPasswordForm(_RulesAboveTheFields, SetPasswordForm):
    """The new password of a reset link, twice."""
