"""The admin's audit pages and "log in as".

Pages (admin only): every entry (/audit/, filters: DID number, account number, action,
source), one DID's (/dids/<pk>/audit/, also after the DID was deleted) and one account's
(/accounts/manage/<pk>/audit/). Newest first, keyset pages, a fixed number of queries.
Nothing here edits or deletes an entry; there is no such page.

Log in as (POST /accounts/manage/<pk>/login-as/, admin only): writes a
``session.login_as`` row, logs the account's user in, and keeps the admin's id in the
session, so every row written meanwhile has the account's user as actor and the admin as
``on_behalf_of``, and every page shows the banner with Return to admin
(POST /accounts/return/, ``session.login_as_ended``).
"""

import re

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.crypto import constant_time_compare
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Account, User
from accounts.permissions import AdminRequiredMixin
from audit.context import LOGIN_AS_SESSION_KEY, login_as_admin
from audit.models import ACTIONS, AuditEntry
from audit.record import record
from core.listing import paginate

SORTS = {"at": ("at", "id")}
# The backend a "log in as" session uses: the portal's own (it refuses suspended accounts).
BACKEND = "accounts.backends.PortalBackend"


class AuditFilterForm(forms.Form):
    did = forms.CharField(label="DID number", required=False, max_length=30)
    account = forms.CharField(label="Account number", required=False, max_length=10)
    action = forms.ChoiceField(label="Action", required=False,
                               choices=[("", "Any")] + sorted(ACTIONS.items(), key=lambda item: item[1]))
    source = forms.ChoiceField(label="From", required=False, choices=[("", "Any")] + AuditEntry.Source.choices)

    def clean_did(self):
        digits = re.sub(r"[^0-9]", "", self.cleaned_data["did"])
        if self.cleaned_data["did"].strip() and not digits:
            raise forms.ValidationError("Enter the DID's digits.")
        return digits.removeprefix("00") if digits.startswith("00") else digits

    def clean_account(self):
        number = self.cleaned_data["account"].strip()
        if number and not number.isdigit():
            raise forms.ValidationError("An account number is 10 digits.")
        return number

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["did"]:
            queryset = queryset.filter(did_number=f"+{data['did']}")
        if data["account"]:
            # By id, so the (account, -at, -id) index gives the page in order; one small query first.
            account_id = Account.objects.filter(number=data["account"]).values_list("pk", flat=True).first()
            queryset = queryset.filter(account_id=account_id) if account_id else queryset.none()
        if data["action"]:
            queryset = queryset.filter(action=data["action"])
        if data["source"]:
            queryset = queryset.filter(source=data["source"])
        return queryset

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class AuditListView(AdminRequiredMixin, TemplateView):
    template_name = "audit/list.html"
    filters = ("did", "account", "action", "source")  # shown in the search panel

    def entries(self):
        return AuditEntry.objects.all()

    def get_context_data(self, **kwargs):
        search = AuditFilterForm(self.request.GET or None)
        for name in set(search.fields) - set(self.filters):
            del search.fields[name]
        page = paginate(self.request, search.filter(self.entries()), sorts=SORTS, default_sort="-at", keyset=True,
                        unique=("id",))
        return super().get_context_data(search=search, page=page, **kwargs)


class DIDAuditView(AuditListView):
    """One DID's rows: those of its number (indexed), so a deleted DID's page still shows them,
    and a number deleted and created again shows both lives."""

    filters = ("action", "source")

    def get(self, request, *args, **kwargs):
        did = apps.get_model("dids", "DID").objects.filter(pk=kwargs["pk"]).only("pk", "number").first()
        # A deleted DID: its number from its rows (the DID id has no index: a scan, for this rare page only).
        number = did.number if did else (
            AuditEntry.objects.filter(did_id=kwargs["pk"]).values_list("did_number", flat=True).first())
        if number is None:
            raise Http404("No such DID.")
        self.did, self.did_number = did, number
        return super().get(request, *args, **kwargs)

    def entries(self):
        return AuditEntry.objects.filter(did_number=self.did_number)

    def get_context_data(self, **kwargs):
        return super().get_context_data(did=self.did, did_digits=self.did_number.lstrip("+"), **kwargs)


class AccountAuditView(AuditListView):
    filters = ("did", "action", "source")

    def get(self, request, *args, **kwargs):
        self.account = get_object_or_404(Account.objects.only("pk", "name", "number"), pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def entries(self):
        return AuditEntry.objects.filter(account_id=self.account.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)


# --- log in as ------------------------------------------------------------------------


class LoginAsView(AdminRequiredMixin, View):
    """POST only (GET: 405). The account must be active and have an active, non-staff login."""

    http_method_names = ["post"]

    def post(self, request, pk):
        account = get_object_or_404(Account, pk=pk)
        user = User.objects.filter(account=account).first()
        refusal = None
        if not account.is_active:
            refusal = f"Account {account.number} is suspended: it cannot be logged in as. Reactivate it first."
        elif user is None or not user.is_active:
            refusal = f"Account {account.number} has no active login to log in as."
        elif user.is_staff or user.is_superuser:
            refusal = "That login is an admin's; log in as accounts only."
        if refusal:
            messages.error(request, refusal)
            return redirect("billing:account", pk=account.pk)
        admin = request.user
        stored = {"id": admin.pk, "username": admin.get_username(), "hash": admin.get_session_auth_hash(),
                  "as_user": user.pk, "account": account.pk}
        with transaction.atomic():
            record("session.login_as", account=account, obj=user, by=admin,
                   summary=f"{admin.get_username()} logged in as {account.name} ({account.number}), "
                           f"user {user.get_username()}")
            login(request, user, backend=BACKEND)  # a new session: the admin's own ends here
            request.session[LOGIN_AS_SESSION_KEY] = stored  # after login(): it starts a new session
        return redirect("home")  # the banner (templates/audit/impersonation_banner.html) says the rest


class ReturnFromLoginAsView(LoginRequiredMixin, View):
    """POST only. Only a session started by "log in as" has an admin to return to."""

    http_method_names = ["post"]

    def post(self, request):
        stored = login_as_admin(request)
        if not stored or stored.get("as_user") != request.user.pk:
            raise PermissionDenied("This session was not started by an admin's \"log in as\".")
        admin = User.objects.filter(pk=stored.get("id")).first()
        if admin is None or not admin.is_portal_admin or not constant_time_compare(
                admin.get_session_auth_hash(), stored.get("hash", "")):
            # The admin was deactivated or changed its password meanwhile: no way back without a login.
            logout(request)
            messages.warning(request, "Log in again as the admin.")
            return redirect("login")
        account = request.user.account
        with transaction.atomic():
            record("session.login_as_ended", account=account, obj=request.user, by=admin,
                   summary=f"{admin.get_username()} stopped viewing as {account.name} ({account.number})")
            login(request, admin, backend=BACKEND)
        messages.info(request, f"Back as {admin.get_username()}.")
        return redirect("billing:account", pk=account.pk)
