"""Admin pages of the DID catalogue and the provider list. Thin: forms validate,
services write, views translate errors into messages."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import FormView, TemplateView

from accounts.permissions import AdminRequiredMixin
from core.csv_stream import csv_download, csv_lines
from core.listing import paginate, sorted_by
from core.phone import display
from dids.export import HEADER, did_rows
from dids.filters import DIDSearchForm
from dids.forms import ProviderForm
from dids.list_rows import did_list_rows
from dids.models import DID, Provider
from dids.numbers import search_digits
from dids.services import CatalogueError, did_delete, provider_save

DID_SORTS = {
    "number": ("number",),
    "country": ("country", "number"),
    "city": ("city", "number"),
    "province": ("province", "number"),
    "provider": ("provider__name", "number"),
    "buy_cost": ("buy_cost", "number"),
    "setup_fee": ("setup_fee", "number"),
    "monthly_fee": ("monthly_fee", "number"),
    "billing_days": ("billing_days", "number"),
    "status": ("status", "number"),
    "created": ("created_at",),
}


class DIDListView(AdminRequiredMixin, TemplateView):
    template_name = "dids/did_list.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            queryset = self.filtered(DIDSearchForm(request.GET))
            return csv_download(csv_lines(HEADER, did_rows(sorted_by(request, queryset, DID_SORTS, "number"))), "dids")
        return super().get(request, *args, **kwargs)

    @staticmethod
    def filtered(search):
        """The list's rows for a search form (an unbound or invalid one filters nothing)."""
        return search.filter(DID.objects.select_related("provider", "holder"))

    def get_context_data(self, **kwargs):
        search = DIDSearchForm(self.request.GET or None)
        # Keyset pages past the exact-count limit; "Go to DID" starts a page sorted by number at a typed number.
        page = paginate(
            self.request, self.filtered(search), sorts=DID_SORTS, default_sort="number", keyset=True,
            unique=("number",), jump={"number": lambda text: "+" + search_digits(text)[:15]}, jump_label="Go to DID",
        )
        # Which rows have a holder in its grace period (renewal unpaid): one query for the page.
        suspended = set(
            DID.objects.filter(pk__in=[d.pk for d in page.rows], subscriptions__status="active",
                               subscriptions__grace_until__isnull=False).values_list("pk", flat=True)
        )
        for did in page.rows:
            did.suspended = did.pk in suspended
        return super().get_context_data(search=search, page=page, rows=did_list_rows(page.rows, suspended), **kwargs)


class DIDDeleteView(AdminRequiredMixin, TemplateView):
    """GET asks for confirmation; only POST deletes."""

    template_name = "dids/did_confirm_delete.html"

    def get_context_data(self, **kwargs):
        did = get_object_or_404(DID.objects.select_related("holder"), pk=self.kwargs["pk"])
        return super().get_context_data(did=did, **kwargs)

    def post(self, request, pk):
        get_object_or_404(DID, pk=pk)
        try:
            number = did_delete(did_id=pk)
        except CatalogueError as exc:
            messages.error(request, str(exc))
            return redirect("dids:delete", pk=pk)
        messages.success(request, f"DID {display(number)} deleted.")
        return redirect("dids:list")


PROVIDER_SORTS = {"name": ("name",), "number": ("number",), "status": ("is_active", "name"), "dids": ("did_count", "name")}


class ProviderListView(AdminRequiredMixin, TemplateView):
    template_name = "dids/provider_list.html"

    def get_context_data(self, **kwargs):
        queryset = Provider.objects.annotate(did_count=Count("dids"))
        q = self.request.GET.get("q", "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
        if q:
            queryset = queryset.filter(Q(name__icontains=q) | Q(number__startswith=q))
        status = self.request.GET.get("status", "")
        if status in {"active", "inactive"}:
            queryset = queryset.filter(is_active=status == "active")
        page = paginate(self.request, queryset, sorts=PROVIDER_SORTS, default_sort="name")
        return super().get_context_data(page=page, q=q, status=status, **kwargs)


class ProviderFormView(AdminRequiredMixin, FormView):
    form_class = ProviderForm
    template_name = "dids/provider_form.html"
    provider: Provider | None = None

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs and request.user.is_authenticated and request.user.is_portal_admin:
            self.provider = get_object_or_404(Provider, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.provider or Provider()
        return kwargs

    def get_context_data(self, **kwargs):
        title = f"Edit Provider {self.provider}" if self.provider else "Create Provider"
        return super().get_context_data(title=title, **kwargs)

    def form_valid(self, form):
        try:
            provider = provider_save(provider=form.save(commit=False))
        except CatalogueError as exc:
            form.add_error(exc.field, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, f"Provider {provider} saved.")
        return redirect("dids:provider_list")


class ProviderToggleView(AdminRequiredMixin, TemplateView):
    """Deactivate or reactivate a provider behind a confirmation page: GET says what it means,
    only POST with the state it confirms (``state=inactive`` or ``state=active``) changes it, so a
    page left open and posted after the provider changed elsewhere does what it said. Its DIDs
    stay; a deactivated provider is just no longer offered for new DIDs."""

    template_name = "dids/provider_confirm_toggle.html"
    STATES = {"active": True, "inactive": False}

    def get_context_data(self, **kwargs):
        provider = get_object_or_404(Provider, pk=self.kwargs["pk"])
        deactivate = provider.is_active
        return super().get_context_data(
            provider=provider, deactivate=deactivate, new_state="inactive" if deactivate else "active",
            did_count=DID.objects.filter(provider=provider).count(), **kwargs)

    def post(self, request, pk):
        provider = get_object_or_404(Provider, pk=pk)
        state = request.POST.get("state", "")
        if state not in self.STATES:
            messages.error(request, "Nothing changed: confirm Deactivate or Reactivate on its page.")
            return redirect("dids:provider_toggle", pk=pk)
        if provider.is_active == self.STATES[state]:
            messages.info(request, f"Provider {provider} is {state} already.")
            return redirect("dids:provider_list")
        provider.is_active = self.STATES[state]
        provider_save(provider=provider)
        messages.success(request, f"Provider {provider} {'reactivated' if provider.is_active else 'deactivated'}.")
        return redirect("dids:provider_list")
