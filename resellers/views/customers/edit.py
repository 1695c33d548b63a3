"""Edit one of the reseller's accounts: name, e-mail, credit limit
(accounts.services.account_update; never its kind, parent, status or balance)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView

from accounts.services import AccountError, account_update
from resellers.forms_customers import CustomerEditForm
from resellers.views.customers.scope import ChildAccountMixin


class CustomerEditView(ChildAccountMixin, FormView):
    form_class = CustomerEditForm
    template_name = "resellers/customers/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "account": self.child}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Edit Account", account=self.child, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            account = account_update(
                account_id=self.child.pk, name=data["name"], email=data["email"], credit_limit=data["credit_limit"]
            )
        except AccountError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, f"Account {account.number} ({account.name}) updated.")
        return redirect("customers:detail", number=account.number)
