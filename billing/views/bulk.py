"""Bulk actions of the admin's DID list: the action bar posts the checked rows (or
"all matching the search") here; a confirmation page counts the DIDs on the server
and asks for the action's parameters; Confirm runs the service (dids/bulk.py; "Change prices":
billing/prices/bulk.py, the one writer of prices). Here, not in dids, because it offers prices.

Nothing the browser sends is trusted beyond re-checking it: the search is re-applied
from its query string, checked ids outside it are dropped, counts are made here.
POST only: a GET changes nothing (405).
"""

from django import forms
from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.permissions import AdminRequiredMixin
from core.forms import MoneyAmountField, WholeNumberField
from core.phone import display
from billing.prices.bulk import MONEY_FIELDS, WHOLE_FIELDS, WHOLE_MAX, bulk_set_prices
from dids.bulk import BulkError, bulk_delete_unsold, bulk_set_provider, bulk_set_status, delete_preview
from dids.filters import DIDSearchForm
from dids.forms import ProviderChoiceField
from dids.models import DID, Provider
from dids.views import DIDListView

ACTIONS = {
    "activate": "Activate",
    "deactivate": "Deactivate",
    "provider": "Change provider",
    "prices": "Change prices",
    "delete": "Delete unsold",
}
MAX_CHECKED = 1000  # a page holds at most 100 rows; more ids than this is not a browser
MAX_QUERY = 2000
SAMPLE = 10  # numbers named on the confirmation page


class NoParameters(forms.Form):
    pass


class ProviderParameters(forms.Form):
    provider = ProviderChoiceField(
        label="New provider", queryset=Provider.objects.filter(is_active=True).order_by("name"),
        empty_label="Choose a provider",
    )


class PriceParameters(forms.Form):
    """The Create Product form's price and rating fields, all optional: blank = keep."""

    setup_fee = MoneyAmountField(label="Setup Fee (USD)", required=False)
    monthly_fee = MoneyAmountField(label="MonthlyFee (USD)", required=False)
    connection_cost = MoneyAmountField(label="Connection Cost (USD)", required=False)
    cost_per_min = MoneyAmountField(label="Cost/Min(USD)", required=False)
    grace_time = WholeNumberField(label="Grace Time (Sec.)", min_value=0, max_value=WHOLE_MAX, required=False)
    initial_increment = WholeNumberField(label="Initial Increment", min_value=0, max_value=WHOLE_MAX, required=False)
    increment = WholeNumberField(label="Increment", min_value=1, max_value=WHOLE_MAX, required=False,
                                 help_text="60 to charge every minute.")

    def clean(self):
        cleaned = super().clean()
        if not self.errors and all(cleaned.get(name) is None for name in self.fields):
            raise forms.ValidationError("Fill in at least one field to change; blank fields are kept.")
        return cleaned


PARAMETERS = {"provider": ProviderParameters, "prices": PriceParameters}
assert set(PriceParameters.base_fields) == set(MONEY_FIELDS) | set(WHOLE_FIELDS)


class DIDBulkView(AdminRequiredMixin, TemplateView):
    template_name = "dids/bulk_confirm.html"
    http_method_names = ["post"]

    def post(self, request):
        action = request.POST.get("action", "")
        scope = request.POST.get("scope", "")
        query = QueryDict(request.POST.get("q", "")[:MAX_QUERY])  # the list's search, sort and page
        back = reverse("dids:list") + (f"?{query.urlencode()}" if query else "")
        if action not in ACTIONS or scope not in {"checked", "all"}:
            messages.error(request, "Choose an action for the checked DIDs.")
            return redirect(back)
        search = DIDSearchForm(query or None)
        if search.is_bound and not search.is_valid():
            messages.error(request, "Fix the search first: an action never applies to a search the list could not use.")
            return redirect(back)
        targets = DIDListView.filtered(search)
        ids = []
        if scope == "checked":
            # isascii: "²" is a digit int() refuses; 18 digits: int() refuses 4,301 and no id is longer.
            ids = sorted({int(v) for v in request.POST.getlist("ids")[:MAX_CHECKED]
                          if v.isascii() and v.isdigit() and len(v) <= 18})
            if not ids:
                messages.error(request, "Check at least one DID, or choose all DIDs matching the search.")
                return redirect(back)
            targets = targets.filter(pk__in=ids)

        form = PARAMETERS.get(action, NoParameters)(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            try:
                result = self.run(action, targets, form.cleaned_data)
            except BulkError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, result.summary("Deleted" if action == "delete" else "Changed"))
                if result.warning:
                    messages.warning(request, result.warning)
                return redirect(back)

        # One exact count (the delete's also says how many it would skip), and the first few numbers.
        if action == "delete":
            counts = delete_preview(targets)
            count, total = counts["deletable"], counts["total"]
        else:
            counts, count = None, targets.count()
            total = count
        if total == 0:
            messages.error(request, "None of these DIDs matches the search any more. Nothing was changed.")
            return redirect(back)
        sample = [display(d) for d in targets.order_by("number").values_list("number", flat=True)[:SAMPLE]]
        context = self.get_context_data(
            action=action, action_label=ACTIONS[action], scope=scope, ids=ids, q=query.urlencode(), back=back,
            form=form, count=count, counts=counts, sample=sample, more=total - len(sample), filtered=search.is_bound,
        )
        return self.render_to_response(context)

    def run(self, action, targets, data):
        by = self.request.user
        if action in ("activate", "deactivate"):
            status = DID.Status.ACTIVE if action == "activate" else DID.Status.INACTIVE
            return bulk_set_status(dids=targets, status=status, by=by)
        if action == "provider":
            return bulk_set_provider(dids=targets, provider=data["provider"], by=by)
        if action == "prices":
            return bulk_set_prices(dids=targets, changes=data, by=by)
        return bulk_delete_unsold(dids=targets, by=by)
