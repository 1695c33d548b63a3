"""The admin's account pages: list, create, edit, suspend/reactivate (behind a confirmation page).

Money pages of an account (its detail page with Add funds and Adjustment, its
statement) live in billing/ (billing/views/account.py): accounts never imports billing.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView, TemplateView

from accounts.forms_admin import AccountCreateForm, AccountEditForm, AccountSearchForm
from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from accounts.services import AccountError, account_create, account_set_status, account_update
from accounts.exports import CSV_HEADER, account_rows
from core.csv_stream import csv_download, csv_lines
from core.listing import paginate, sorted_by

ACCOUNT_SORTS = {
    "number": ("number",),
    "name": ("name",),
    "kind": ("kind", "name"),
    "parent": ("parent__name", "name"),
    "balance": ("balance", "name"),
    "credit_limit": ("credit_limit", "name"),
    "status": ("status", "name"),
    "created": ("created_at",),
}


class AccountListView(AdminRequiredMixin, TemplateView):
    template_name = "accounts/manage/account_list.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # every account the search finds, in the page's order
            accounts = AccountSearchForm(request.GET).filter(Account.objects.all())
            rows = account_rows(sorted_by(request, accounts, ACCOUNT_SORTS, "name"))
            return csv_download(csv_lines(CSV_HEADER, rows), "accounts")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        search = AccountSearchForm(self.request.GET or None)
        queryset = Account.objects.select_related("parent")
        queryset = search.filter(queryset) if self.request.GET else queryset
        page = paginate(self.request, queryset, sorts=ACCOUNT_SORTS, default_sort="name")
        return super().get_context_data(search=search, page=page, **kwargs)


class AccountCreateView(AdminRequiredMixin, FormView):
    form_class = AccountCreateForm
    template_name = "accounts/manage/account_form.html"
    extra_context = {"title": "Create Account"}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            account = account_create(
                name=data["name"],
                kind=data["kind"],
                parent=data["parent"],
                username=data["username"],
                password=data["password1"],
                email=data["email"],
                credit_limit=data["credit_limit"],
                status=data["status"],
            )
        except AccountError as exc:
            form.add_error(exc.field, str(exc))
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{account.get_kind_display()} {account.name} created with account number {account.number}.",
        )
        return redirect("billing:account", pk=account.pk)


class AccountEditView(AdminRequiredMixin, FormView):
    form_class = AccountEditForm
    template_name = "accounts/manage/account_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_portal_admin:
            self.account = get_object_or_404(Account, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "account": self.account}

    def get_context_data(self, **kwargs):
        title = "Edit Account"
        return super().get_context_data(title=title, account=self.account, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            account = account_update(
                account_id=self.account.pk, name=data["name"], email=data["email"], credit_limit=data["credit_limit"]
            )
        except AccountError as exc:
            form.add_error(exc.field, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, f"Account {account.number} ({account.name}) updated.")
        return redirect("billing:account", pk=account.pk)


class AccountStatusView(AdminRequiredMixin, TemplateView):
    """Suspend or reactivate behind a confirmation page: GET says what it means (the page the
    reseller's Customers use), only POST with the status it confirms (``suspended`` or
    ``active``) changes it."""

    template_name = "resellers/customers/status_confirm.html"

    def get_context_data(self, **kwargs):
        account = get_object_or_404(Account, pk=self.kwargs["pk"])
        suspend = account.is_active
        new_status = Account.Status.SUSPENDED if suspend else Account.Status.ACTIVE
        cancel_url = reverse("billing:account", args=[account.pk])
        return super().get_context_data(
            account=account, suspend=suspend, new_status=new_status, cancel_url=cancel_url, **kwargs
        )

    def post(self, request, pk):
        account = get_object_or_404(Account, pk=pk)
        try:
            account = account_set_status(account_id=account.pk, status=request.POST.get("status", ""))
        except AccountError as exc:
            messages.error(request, str(exc))
            return redirect("billing:account", pk=pk)
        if account.is_active:
            messages.success(request, f"Account {account.number} ({account.name}) reactivated. It can log in again.")
        else:
            messages.success(
                request,
                f"Account {account.number} ({account.name}) suspended. It can no longer log in or buy.",
            )
        return redirect("billing:account", pk=pk)
