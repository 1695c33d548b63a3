"""The forms of a reseller's Customers pages: the list's search panel, Create (an account
with its login, under the reseller) and Edit. The money forms (Record payment, Adjustment)
are billing/forms.py's, keyed per account.

None of them has a parent, a status or a balance: the parent is always the logged-in
reseller (resellers/views/customers/), the status changes only behind its confirmation page,
and only the ledger moves a balance."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.db.models import Q
from django.urls import reverse

from accounts.forms_admin import AccountCreateForm, AccountEditForm
from accounts.models import Account
from core.form_layout import pair, save_and_cancel

# What a reseller may create below it: a customer, or a reseller of its own (a sub-reseller).
KINDS = [(Account.Kind.CUSTOMER, "Customer"), (Account.Kind.RESELLER, "Sub-reseller")]


def kind_label(kind: str) -> str:
    return dict(KINDS).get(kind, kind)


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label="Number, name or e-mail contains", required=False, max_length=120)
    kind = forms.ChoiceField(label="Type", choices=[("", "Any")] + KINDS, required=False)
    status = forms.ChoiceField(label="Status", choices=[("", "Any")] + Account.Status.choices, required=False)

    def filter(self, queryset):
        """Apply the valid filters; invalid ones are ignored (and shown as errors)."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        # Without NUL: PostgreSQL refuses it in a query (a 500).
        q = data["q"].replace("\x00", "").strip()
        if q:
            queryset = queryset.filter(Q(number__contains=q) | Q(name__icontains=q) | Q(email__icontains=q))
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        return queryset

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class CustomerCreateForm(AccountCreateForm):
    """The admin's Create Account without Parent and Status: a customer or a sub-reseller,
    active, under the reseller. The username check and Django's password validators are
    the admin form's."""

    kind = forms.ChoiceField(label="Type", choices=KINDS, initial=Account.Kind.CUSTOMER)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["parent"], self.fields["status"]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("Account", pair("name", "kind"), pair("email", "credit_limit")),
            Fieldset(
                "Login", pair("username", HTML("")), pair("password1", "password2"),
                HTML('{% include "includes/password_rules.html" %}'),
            ),
            save_and_cancel("Save", reverse("customers:list")),
        )


class CustomerEditForm(AccountEditForm):
    """Name, e-mail and credit limit: the admin's Edit Account, back to the reseller's page."""

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, account=account, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "name", "email", "credit_limit", save_and_cancel("Save", reverse("customers:detail", args=[account.number]))
        )
