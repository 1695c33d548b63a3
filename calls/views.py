"""Calls pages: a reseller's or customer's own charged calls, the admin's view of
one account's, and every call (the admin). Each keeps every call; the statement
has them summed per DID and day."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from core.csv_stream import csv_download, csv_lines
from core.listing import paginate, sorted_by
from calls.exports import ALL_HEADER, account_call_rows, account_header, all_call_rows
from calls.forms import CallFilterForm
from calls.listing import DEFAULT_SORT, SORTS, account_calls, all_calls
from calls.models import CallCharge


class AccountCallsView(TemplateView):
    """One account's calls. Subclasses say whose page it is: ``own_view`` (the logged-in account's:
    "you pay") and ``links()`` (its Back to account and Statement buttons)."""

    template_name = "calls/account_calls.html"
    own_view = True

    def links(self) -> dict:
        return {"back": None, "statement": reverse("billing:statement")}

    def get(self, request, *args, **kwargs):
        """``self.account`` is set first (by the subclass or its mixin). ``?format=csv``: every
        call of the filtered list, in the page's order."""
        if request.GET.get("format") == "csv":
            resells = self.account.is_reseller
            charges = sorted_by(request, account_calls(self.account, CallFilterForm(request.GET).number), SORTS,
                                DEFAULT_SORT)
            return csv_download(csv_lines(account_header(resells, self.own_view), account_call_rows(charges, resells)),
                                f"calls-{self.account.number}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        search = CallFilterForm(self.request.GET or None)
        rows = account_calls(self.account, search.number)
        page = paginate(self.request, rows, sorts=SORTS, default_sort=DEFAULT_SORT, keyset=True, unique=("id",))
        return super().get_context_data(account=self.account, page=page, search=search, own_view=self.own_view,
                                        links=self.links(), **kwargs)


class AccountCallsAdminView(AdminRequiredMixin, AccountCallsView):
    own_view = False

    def links(self) -> dict:
        return {"back": reverse("billing:account", args=[self.account.pk]),
                "statement": reverse("billing:account_statement", args=[self.account.pk])}

    def get(self, request, *args, **kwargs):
        self.account = get_object_or_404(Account, pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)


class CallListAdminView(AdminRequiredMixin, TemplateView):
    template_name = "calls/call_list.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # every call the filter finds, newest first as the page
            calls = sorted_by(request, all_calls(CallFilterForm(request.GET).number), SORTS, DEFAULT_SORT)
            return csv_download(csv_lines(ALL_HEADER, all_call_rows(calls)), "calls")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        search = CallFilterForm(self.request.GET or None)
        page = paginate(self.request, all_calls(search.number), sorts=SORTS, default_sort=DEFAULT_SORT, keyset=True,
                        unique=("id",))
        # Each call's chain of charges: one query for the whole page.
        charges: dict[int, list] = {}
        for charge in CallCharge.objects.filter(call_id__in=[c.pk for c in page.rows]).select_related("account").order_by("level"):
            charges.setdefault(charge.call_id, []).append(charge)
        for call in page.rows:
            call.levels = charges.get(call.pk, [])
        return super().get_context_data(page=page, search=search, **kwargs)
