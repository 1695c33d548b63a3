from django.contrib.auth.forms import AuthenticationForm


class PortalLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password, or the account is suspended.",
    }
