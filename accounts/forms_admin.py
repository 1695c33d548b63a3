"""The admin's account forms: the list's search panel, create and edit."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import Q, QuerySet
from django.urls import reverse

from accounts.models import Account, User
from core.forms import MoneyAmountField
from core.money import fmt
from core.form_layout import pair, save_and_cancel


NEW_PASSWORD = forms.PasswordInput(attrs={"autocomplete": "new-password"})


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def _resellers() -> QuerySet:
    return Account.objects.filter(kind=Account.Kind.RESELLER).order_by("name", "pk")


class AccountSearchForm(forms.Form):
    OPERATOR = "operator"

    q = forms.CharField(label="Name or number contains", required=False, max_length=120)
    kind = forms.ChoiceField(label="Type", choices=[("", "Any")] + Account.Kind.choices, required=False)
    status = forms.ChoiceField(label="Status", choices=[("", "Any")] + Account.Status.choices, required=False)
    parent = forms.ChoiceField(label="Parent", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A callable: the resellers are read only when the panel is rendered or validated.
        self.fields["parent"].choices = lambda: [("", "Any"), (self.OPERATOR, "Operator")] + [
            (str(a.pk), str(a)) for a in _resellers().only("pk", "name", "number")
        ]

    def filter(self, queryset):
        """Apply the valid filters; invalid ones are ignored (and shown as errors)."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        q = data["q"].strip()
        if q:
            queryset = queryset.filter(Q(name__icontains=q) | Q(number__contains=q))
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["parent"] == self.OPERATOR:
            queryset = queryset.filter(parent__isnull=True)
        elif data["parent"]:
            queryset = queryset.filter(parent_id=int(data["parent"]))
        return queryset

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class AccountCreateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    kind = forms.ChoiceField(label="Type", choices=Account.Kind.choices, initial=Account.Kind.CUSTOMER)
    parent = ParentChoiceField(
        label="Parent",
        queryset=Account.objects.none(),
        required=False,
        empty_label="Operator",
        help_text="Who sells to this account: the operator, or a reseller.",
    )
    status = forms.ChoiceField(label="Status", choices=Account.Status.choices, initial=Account.Status.ACTIVE)
    username = forms.CharField(
        label="Username",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @ . + - _ only.",
    )
    email = forms.EmailField(label="Email", required=False)
    password1 = forms.CharField(label="Password", strip=False, widget=NEW_PASSWORD)
    password2 = forms.CharField(label="Password confirmation", strip=False, widget=NEW_PASSWORD)
    credit_limit = MoneyAmountField(
        label="Credit limit (USD)", initial="0.0000", help_text="How far the balance may go below zero."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = _resellers()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("Account", pair("name", "kind"), pair("parent", "status"), pair("credit_limit", HTML(""))),
            Fieldset("Login", pair("username", "email"), pair("password1", "password2")),
            save_and_cancel("Save", reverse("manage:list")),
        )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This username is taken.", code="taken")
        return username

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords do not match.")
        elif password1:
            probe = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password1, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class AccountEditForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    email = forms.EmailField(label="Email", required=False)
    credit_limit = MoneyAmountField(label="Credit limit (USD)", help_text="How far the balance may go below zero.")

    def __init__(self, *args, account: Account, **kwargs):
        current = {"name": account.name, "email": account.email, "credit_limit": fmt(account.credit_limit)}
        kwargs["initial"] = {**current, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "name", "email", "credit_limit", save_and_cancel("Save", reverse("billing:account", args=[account.pk]))
        )
