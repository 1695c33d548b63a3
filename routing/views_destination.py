"""Destination: where a DID's calls go (DESIGN.md section 7), set by its holder.

Two doors to the same page:
  - a holder, for its own DIDs: /portal/dids/<did>/destination/
  - the admin, for any holder: /dids/<did>/destination/<account>/
Only the last level of the chain sets it; a reseller that sold the DID on sees
where its buyer's calls go. The rules live in routing.destinations.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from dids.call_preview import call_preview
from routing.destinations import DestinationRefused, describe, routing_of, set_destination
from routing.forms import DestinationForm
from billing.models import Subscription
from dids.models import DIDHistory
from billing.subscriptions.holdings import holding
from billing.prices.rate_book import rate_card
from dids.models import DID

HISTORY_ROWS = 10


class DestinationView(TemplateView):
    template_name = "billing/destination.html"
    own_page = False  # "you" on the holder's own door, the account's name on the admin's

    def load(self, did_pk: int, account_pk: int | None) -> None:
        """Set self.did and self.holder (the account's active subscription), or raise Http404."""
        raise NotImplementedError

    def back_url(self) -> str:
        raise NotImplementedError

    def get(self, request, did_pk, account_pk=None):
        self.load(did_pk, account_pk)
        form = DestinationForm(initial={"call_type": self.holder.call_type or Subscription.CallType.SIP_URI,
                                        "destination": self.holder.destination}, did_number=self.did.number,
                               did_country=self.did.country.code)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, did_pk, account_pk=None):
        self.load(did_pk, account_pk)
        form = DestinationForm(request.POST, did_number=self.did.number, did_country=self.did.country.code)
        clearing = "clear" in request.POST
        if clearing or form.is_valid():
            try:
                changed = set_destination(
                    did_id=self.did.pk, account_id=self.holder.account_id, by=request.user,
                    call_type="" if clearing else form.cleaned_data["call_type"],
                    destination="" if clearing else form.cleaned_data["destination"],
                )
            except DestinationRefused as refusal:
                if clearing:
                    messages.error(request, str(refusal))
                    return redirect(request.get_full_path())
                form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))
            else:
                if not changed:
                    messages.info(request, "Nothing changed.")
                elif clearing:
                    messages.success(request, f"Destination of DID {self.did.shown} cleared.")
                else:
                    where = describe(form.cleaned_data["call_type"], form.cleaned_data["destination"])
                    messages.success(request, f"Calls to DID {self.did.shown} now go to {where}.")
                return redirect(request.get_full_path())  # keeps the preview's typed duration
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        holder = self.holder
        card = rate_card(self.did, holder)
        columns = [("You pay" if self.own_page else f"{holder.account.name} pays", card.buy)]
        if holder.account.is_reseller:
            columns.append(("Your buyers pay" if self.own_page else "Its buyers pay", card.sell))
        history = (DIDHistory.objects.filter(did=self.did, account_id=holder.account_id,
                                             action=DIDHistory.Action.CHANGED).select_related("actor"))
        return super().get_context_data(
            did=self.did, holder=holder, holder_account=holder.account, routing=routing_of(holder),
            own_page=self.own_page, back_url=self.back_url(), preview=call_preview(self.request.GET, columns),
            preview_note="on this DID", history=history[:HISTORY_ROWS], **kwargs,
        )


class HolderDestinationAdminView(AdminRequiredMixin, DestinationView):
    """The admin, for any holder of the DID (from the chain table of the DID's Edit Info)."""

    def load(self, did_pk, account_pk):
        self.did = get_object_or_404(DID, pk=did_pk)
        account = get_object_or_404(Account, pk=account_pk)
        self.holder = holding(self.did.pk, account.pk)
        if self.holder is None:
            raise Http404("This account does not hold this DID.")
        self.holder.account = account

    def back_url(self):
        return reverse("billing:edit_info", args=[self.did.pk])
