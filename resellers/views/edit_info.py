"""A holder's own Edit Info (/portal/dids/<id>/edit-info/): BUY COST ("You pay") read-only, SELL COST
("You charge") its own; a customer sees only what it pays."""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from accounts.permissions import AccountRequiredMixin
from dids.models import DIDHistory
from billing.subscriptions.holdings import holding
from billing.views.edit_info import HISTORY_ROWS, EditInfoView
from dids.models import DID


class MyEditInfoView(AccountRequiredMixin, EditInfoView):
    """A holder's own Edit Info: BUY COST read-only, SELL COST its own."""

    own_page = True

    def load(self, did_pk, account_pk):
        self.did = get_object_or_404(DID, pk=did_pk)
        self.seller = self.account
        self.seller_sub = holding(self.did.pk, self.account.pk)
        if self.seller_sub is None:
            raise Http404("You do not hold this DID.")

    def cancel_url(self):
        return reverse("resellers:dids")

    def history(self):
        # Only rows about this account: the rest of the chain is not its business.
        rows = DIDHistory.objects.filter(Q(account=self.account) | Q(for_account=self.account), did=self.did).select_related("for_account", "actor")
        return rows[:HISTORY_ROWS]
