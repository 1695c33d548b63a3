"""The admin's Create Product and Edit Product pages: the form (dids/forms.py) saved through
billing.prices.book.save_product, which writes the operator's price as every price change is."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView

from accounts.permissions import AdminRequiredMixin
from billing.prices.book import save_product
from dids.call_preview import call_preview
from dids.forms import DIDForm
from dids.models import DID
from dids.numbers import country_mismatch, mismatch_warning
from dids.rating import Rates
from dids.services import CatalogueError


class DIDFormView(AdminRequiredMixin, FormView):
    form_class = DIDForm
    template_name = "dids/did_form.html"
    did: DID | None = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.did or DID()
        return kwargs

    def form_valid(self, form):
        did = form.save(commit=False)
        try:
            warning = save_product(did=did, by=self.request.user)
        except CatalogueError as exc:
            form.add_error(exc.field, str(exc))
            return self.form_invalid(form)
        verb = "updated" if self.did else "created"
        messages.success(self.request, f"DID {did.shown} {verb}{form.how_read()}.")
        if warning:
            messages.warning(self.request, warning)
        if country_mismatch(did.number, did.country.code):
            messages.warning(self.request, f"Note: {mismatch_warning(did.number, did.country.code)} Saved as entered.")
        return redirect(reverse("dids:list") + f"?number={did.digits}")


class DIDCreateView(DIDFormView):
    extra_context = {"title": "Create Product"}


class DIDUpdateView(DIDFormView):
    extra_context = {"title": "Edit Product"}

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_portal_admin:
            self.did = get_object_or_404(DID, pk=kwargs["pk"])
            # Before the form binds: an invalid post changes the instance, the preview shows the saved rates.
            self.saved_rates = Rates.of(self.did)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        preview = call_preview(self.request.GET, [("First holder pays", self.saved_rates)])
        return super().get_context_data(preview=preview, preview_note="at the saved rates", **kwargs)
