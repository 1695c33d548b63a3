"""Where the holder's own DID's calls go (/portal/dids/<id>/destination/)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from accounts.permissions import AccountRequiredMixin
from billing.subscriptions.holdings import holding
from dids.models import DID
from routing.views_destination import DestinationView


class MyDestinationView(AccountRequiredMixin, DestinationView):
    """The logged-in holder's own DID; another account's DID is a 404."""

    own_page = True

    def load(self, did_pk, account_pk):
        self.did = get_object_or_404(DID, pk=did_pk)
        self.holder = holding(self.did.pk, self.account.pk)
        if self.holder is None:
            raise Http404("You do not hold this DID.")
        self.holder.account = self.account

    def back_url(self):
        return reverse("resellers:dids")
