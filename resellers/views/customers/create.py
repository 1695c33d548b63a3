"""Create Customer / Create Sub-reseller: an account with its login, always directly under
the logged-in reseller (accounts.services.account_create with the reseller as parent; the
form has no parent field, so none can be posted)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView

from accounts.models import Account
from accounts.services import AccountError, account_create
from resellers.forms_customers import CustomerCreateForm, kind_label
from resellers.views.customers.scope import ResellerPageMixin


class CustomerCreateView(ResellerPageMixin, FormView):
    form_class = CustomerCreateForm
    template_name = "resellers/customers/form.html"

    def get_initial(self):
        # The list's "Create Sub-reseller" button: ?kind=reseller chooses the type shown first.
        kind = self.request.GET.get("kind")
        return {"kind": kind if kind in Account.Kind.values else Account.Kind.CUSTOMER}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Create Customer or Sub-reseller", **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            account = account_create(
                name=data["name"],
                kind=data["kind"],
                parent=self.reseller,
                username=data["username"],
                password=data["password1"],
                email=data["email"],
                credit_limit=data["credit_limit"],
            )
        except AccountError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{kind_label(account.kind)} {account.name} created with account number {account.number}. "
            f"It logs in as {data['username']}.",
        )
        return redirect("customers:detail", number=account.number)
