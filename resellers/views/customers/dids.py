"""The DIDs one of the reseller's accounts holds (read-only: the account itself releases them
and sets their destinations), as its own DIDs page shows them (resellers.views.dids.MyDIDsView)."""

from django.views.generic import TemplateView

from billing.models import Subscription
from core.listing import paginate
from dids.filters import number_contains
from dids.numbers import search_digits
from resellers.views.customers.scope import ChildAccountMixin
from resellers.views.dids import MY_SORTS


class CustomerDIDsView(ChildAccountMixin, TemplateView):
    template_name = "resellers/customers/dids.html"

    def get_context_data(self, **kwargs):
        subs = Subscription.objects.filter(account=self.child, status=Subscription.Status.ACTIVE).select_related("did")
        searched = self.request.GET.get("number", "")
        digits = search_digits(searched)[:15]
        if digits:
            subs = number_contains(subs, digits, "did__number")
        page = paginate(self.request, subs, sorts=MY_SORTS, default_sort="number", keyset=True)
        # Whether each row is sold on (one query for the page); whom to is the sub-reseller's business.
        sold = set(Subscription.objects.filter(parent__in=[s.pk for s in page.rows], status=Subscription.Status.ACTIVE)
                   .values_list("parent_id", flat=True))
        for sub in page.rows:
            sub.sold_on = sub.pk in sold
        return super().get_context_data(account=self.child, page=page, searched=searched, **kwargs)
