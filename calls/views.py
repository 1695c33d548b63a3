"""Calls pages: a reseller's or customer's own charged calls, the admin's view of
one account's, and every call (the admin). Each keeps every call; the statement
has them summed per DID and day."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from core.listing import paginate
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
