"""The admin's audit pages and "log in as".

Pages (admin only): every entry (/audit/, filters: DID number, account number, action,
source), one DID's (/dids/<pk>/audit/, also after the DID was deleted) and one account's
(/accounts/manage/<pk>/audit/). Newest first, keyset pages, a fixed number of queries.
Nothing here edits or deletes an entry; there is no such page.

Log in as: an admin into any account (POST /accounts/manage/<pk>/login-as/) or a reseller
into an account directly below it (POST /portal/customers/<number>/login-as/,
resellers/views/customers/login_as.py, on ``BaseLoginAsView`` here). It writes a
``session.login_as`` row, logs the account's user in, and keeps the one who started it (its
id, name, where Return leads and, when its session had passed two-factor, its device) in the
session, so every row written meanwhile has the account's user as actor and that user as
``on_behalf_of``, and every page shows the banner with "Return to admin" or "Return to <the
reseller's account>" (POST /accounts/return/, ``session.login_as_ended``).
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
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views import View
from django.views.generic import TemplateView
from django_otp import login as otp_login
from django_otp.models import Device

from accounts.models import Account, User
from accounts.permissions import AdminRequiredMixin, manages
from audit.context import LOGIN_AS_SESSION_KEY, login_as_admin
from audit.exports import HEADER as CSV_HEADER, audit_rows
from audit.models import ACTIONS, AuditEntry
from audit.record import record
from core.csv_stream import csv_download, csv_lines
from core.listing import paginate, sorted_by
from core.phone import display

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
        # A page may drop fields it does not search by (DIDAuditView: no DID): those are not in cleaned_data.
        data = {name: "" for name in ("did", "account", "action", "source")} | self.cleaned_data
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

    csv_name = "audit"

    def entries(self):
        return AuditEntry.objects.all()

    def search_form(self):
        search = AuditFilterForm(self.request.GET or None)
        for name in set(search.fields) - set(self.filters):
            del search.fields[name]
        return search

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # every entry the search finds, newest first as the page
            entries = sorted_by(request, self.search_form().filter(self.entries()), SORTS, "-at")
            return csv_download(csv_lines(CSV_HEADER, audit_rows(entries)), self.csv_name)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        search = self.search_form()
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
        self.csv_name = f"audit-{number.lstrip('+')}"
        return super().get(request, *args, **kwargs)

    def entries(self):
        return AuditEntry.objects.filter(did_number=self.did_number)

    def get_context_data(self, **kwargs):
        return super().get_context_data(did=self.did, did_shown=display(self.did_number), **kwargs)


class AccountAuditView(AuditListView):
    filters = ("did", "action", "source")

    def get(self, request, *args, **kwargs):
        self.account = get_object_or_404(Account.objects.only("pk", "name", "number"), pk=kwargs["pk"])
        self.csv_name = f"audit-{self.account.number}"
        return super().get(request, *args, **kwargs)

    def entries(self):
        return AuditEntry.objects.filter(account_id=self.account.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)


# --- log in as ------------------------------------------------------------------------


class BaseLoginAsView(View):
    """POST only (GET: 405). The account must be active and have an active, non-staff login.
    Subclasses decide who may start it (their mixins) and set where Return leads."""

    http_method_names = ["post"]

    def return_url(self, account: Account) -> str:
        """Where Return (and a refusal) leads: the account's page for the one who started it."""
        raise NotImplementedError

    def return_label(self) -> str:
        """The banner's "Return to ...": "admin" or the reseller's account name."""
        raise NotImplementedError

    def who(self) -> str:
        """The one who starts it, as the audit rows name it."""
        return self.request.user.get_username()

    def log_in_as(self, request, account: Account):
        if login_as_admin(request):
            # One "log in as" at a time: Return must lead back to the one who started it.
            raise PermissionDenied("Return from the account you are viewing as first.")
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
            return redirect(self.return_url(account))
        starter = request.user
        stored = {"id": starter.pk, "username": starter.get_username(), "hash": starter.get_session_auth_hash(),
                  "as_user": user.pk, "account": account.pk, "return_url": self.return_url(account),
                  "return_label": self.return_label()}
        # A session that passed two-factor keeps it for the way back (ReturnFromLoginAsView).
        is_verified = getattr(starter, "is_verified", None)
        if is_verified is not None and is_verified():
            stored["otp_device"] = starter.otp_device.persistent_id
        with transaction.atomic():
            record("session.login_as", account=account, obj=user, by=starter,
                   summary=f"{self.who()} logged in as {account.name} ({account.number}), "
                           f"user {user.get_username()}")
            login(request, user, backend=BACKEND)  # a new session: the starter's own ends here
            request.session[LOGIN_AS_SESSION_KEY] = stored  # after login(): it starts a new session
        return redirect("home")  # the banner (templates/audit/impersonation_banner.html) says the rest


class LoginAsView(AdminRequiredMixin, BaseLoginAsView):
    """An admin, into any account (/accounts/manage/<pk>/login-as/)."""

    def post(self, request, pk):
        return self.log_in_as(request, get_object_or_404(Account, pk=pk))

    def return_url(self, account: Account) -> str:
        return reverse("billing:account", args=[account.pk])

    def return_label(self) -> str:
        return "admin"


def may_return_to(starter: User, account: Account) -> bool:
    """Whether the one who started a "log in as" may still be logged in again from it: an
    active admin, or an active reseller the account is still directly below."""
    return starter.is_active and manages(starter, account)


class ReturnFromLoginAsView(LoginRequiredMixin, View):
    """POST only. Only a session started by "log in as" has someone to return to."""

    http_method_names = ["post"]

    def post(self, request):
        stored = login_as_admin(request)
        if not stored or stored.get("as_user") != request.user.pk:
            raise PermissionDenied("This session was not started by \"log in as\".")
        account = request.user.account
        starter = User.objects.select_related("account").filter(pk=stored.get("id")).first()
        if starter is None or not may_return_to(starter, account) or not constant_time_compare(
                starter.get_session_auth_hash(), stored.get("hash", "")):
            # Deactivated, suspended or a changed password meanwhile: no way back without a login.
            logout(request)
            messages.warning(request, f"Log in again as {stored.get('username') or 'yourself'}.")
            return redirect("login")
        with transaction.atomic():
            record("session.login_as_ended", account=account, obj=request.user, by=starter,
                   summary=f"{stored.get('username')} stopped viewing as {account.name} ({account.number})")
            login(request, starter, backend=BACKEND)
        self._restore_two_factor(request, starter, stored.get("otp_device"))
        messages.info(request, f"Back as {starter.get_username()}.")
        return redirect(stored.get("return_url") or "home")

    @staticmethod
    def _restore_two_factor(request, starter: User, device_id: str | None) -> None:
        """The starter's session had passed two-factor: so does the one it gets back, with the
        same device, while that device still exists, is confirmed and is the starter's."""
        if not device_id:
            return
        device = Device.from_persistent_id(device_id)
        if device is not None and device.user_id == starter.pk and device.confirmed:
            otp_login(request, device)
