"""One of the reseller's accounts (/portal/customers/<number>/): its details, its latest
statement lines and the way to everything else about it."""

from django.views.generic import TemplateView

from resellers.views.customers.scope import ChildAccountMixin

LATEST = 5


class CustomerDetailView(ChildAccountMixin, TemplateView):
    template_name = "resellers/customers/detail.html"

    def get_context_data(self, **kwargs):
        latest = self.child.ledger_entries.select_related("did").order_by("-seq")[:LATEST]
        return super().get_context_data(account=self.child, latest=latest, **kwargs)
