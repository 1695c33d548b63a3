"""The DIDs one of the reseller's accounts holds (read-only: the account itself releases them
and sets their destinations), as its own DIDs page shows them (resellers.views.dids.MyDIDsView)."""

from django.views.generic import TemplateView

from billing.models import Subscription
from core.csv_stream import csv_download, csv_lines
from core.listing import paginate, sorted_by
from dids.filters import number_contains
from dids.numbers import search_digits
from resellers.exports import MY_DIDS_HEADER, SOLD_ON_HEADER, held_dids_rows
from resellers.views.customers.scope import ChildAccountMixin
from resellers.views.dids import MY_SORTS


class CustomerDIDsView(ChildAccountMixin, TemplateView):
    template_name = "resellers/customers/dids.html"

    def held(self):
        """The page's rows: the account's active subscriptions, searched by number."""
        subs = Subscription.objects.filter(account=self.child, status=Subscription.Status.ACTIVE).select_related("did")
        digits = search_digits(self.request.GET.get("number", ""))[:15]
        return number_contains(subs, digits, "did__number") if digits else subs

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # every row of the searched list, in the page's order
            resells = self.child.is_reseller
            rows = held_dids_rows(sorted_by(request, self.held(), MY_SORTS, "number"), sold_on=resells)
            header = MY_DIDS_HEADER + (SOLD_ON_HEADER if resells else [])
            return csv_download(csv_lines(header, rows), f"dids-{self.child.number}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        searched = self.request.GET.get("number", "")
        page = paginate(self.request, self.held(), sorts=MY_SORTS, default_sort="number", keyset=True)
        # Whether each row is sold on (one query for the page); whom to is the sub-reseller's business.
        sold = set(Subscription.objects.filter(parent__in=[s.pk for s in page.rows], status=Subscription.Status.ACTIVE)
                   .values_list("parent_id", flat=True))
        for sub in page.rows:
            sub.sold_on = sub.pk in sold
        return super().get_context_data(account=self.child, page=page, searched=searched, **kwargs)
