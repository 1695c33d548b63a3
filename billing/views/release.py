"""The operator's side of holdings: release any DID with the whole chain below it."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from accounts.permissions import AdminRequiredMixin
from billing.models import Subscription
from billing.subscriptions.release import admin_release_did
from dids.models import DID


class AdminReleaseView(AdminRequiredMixin, TemplateView):
    """GET: who holds the DID, down the chain, and a confirmation. POST: release all."""

    template_name = "resellers/admin_release.html"

    def get_context_data(self, **kwargs):
        did = get_object_or_404(DID, pk=self.kwargs["pk"])
        chain = Subscription.objects.filter(did=did, status="active").select_related("account").order_by("started_at")
        return super().get_context_data(did=did, chain=chain, **kwargs)

    def post(self, request, pk):
        did = get_object_or_404(DID, pk=pk)
        ended = admin_release_did(did_id=did.pk, by=request.user)
        if ended:
            messages.success(request, f"DID {did.shown} released: {ended} subscription(s) ended, no refund.")
        else:
            messages.info(request, f"DID {did.shown} was not held by anyone.")
        return redirect("dids:list")
