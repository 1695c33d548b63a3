"""The Webhooks page of every login (user menu): its endpoints (an admin: the operator's), add one
(the secret shown once, on the page that answers the form), an endpoint's recent deliveries with
Re-send (POST), disable/enable and delete behind a confirmation page. The rules are in
webhooks/endpoints.py and webhooks/delivery.py."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views import View
from django.views.generic import FormView, TemplateView

from webhooks import endpoints
from webhooks.forms import EndpointForm
from webhooks.models import Delivery

RECENT = 50  # deliveries shown on an endpoint's page


class WebhookPageMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_portal_admin or user.account_id):
            raise PermissionDenied("Webhooks belong to the operator's admins and to accounts.")
        return super().dispatch(request, *args, **kwargs)


class EndpointMixin(WebhookPageMixin):
    """The endpoint of the URL, among the user's own (another account's: 404, before the method check)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and (request.user.is_portal_admin or request.user.account_id):
            self.endpoint = get_object_or_404(endpoints.endpoints_for(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class EndpointListView(WebhookPageMixin, TemplateView):
    template_name = "webhooks/endpoint_list.html"

    def get_context_data(self, **kwargs):
        failed = Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED))
        pending = Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING))
        rows = endpoints.endpoints_for(self.request.user).annotate(failed=failed, pending=pending)
        return super().get_context_data(endpoints=rows, operator=self.request.user.is_portal_admin, **kwargs)


class EndpointCreateView(WebhookPageMixin, FormView):
    form_class = EndpointForm
    template_name = "webhooks/endpoint_form.html"

    def form_valid(self, form):
        try:
            row, secret = endpoints.create_endpoint(user=self.request.user, url=form.cleaned_data["url"],
                                                    events=form.cleaned_data["events"], by=self.request.user)
        except endpoints.EndpointRefused as refused:
            form.add_error(refused.field, str(refused))
            return self.form_invalid(form)
        # Rendered, not redirected: the secret is shown only in this response.
        return TemplateResponse(self.request, "webhooks/endpoint_created.html", {"endpoint": row, "secret": secret},
                                headers={"Cache-Control": "no-store"})


class EndpointDetailView(EndpointMixin, TemplateView):
    template_name = "webhooks/endpoint_detail.html"

    def get_context_data(self, **kwargs):
        deliveries = self.endpoint.deliveries.select_related("event").order_by("-id")[:RECENT]
        return super().get_context_data(endpoint=self.endpoint, deliveries=deliveries, recent=RECENT, **kwargs)


class EndpointToggleView(EndpointMixin, TemplateView):
    """GET asks for confirmation; only POST disables (or enables again)."""

    template_name = "webhooks/endpoint_toggle.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(endpoint=self.endpoint, **kwargs)

    def post(self, request, pk):
        active = not self.endpoint.active
        endpoints.set_active(self.endpoint, active, by=request.user)
        messages.success(request, f"Endpoint {self.endpoint.url} {'enabled' if active else 'disabled'}.")
        return redirect("webhooks:detail", self.endpoint.pk)


class EndpointDeleteView(EndpointMixin, TemplateView):
    template_name = "webhooks/endpoint_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(endpoint=self.endpoint, **kwargs)

    def post(self, request, pk):
        url = self.endpoint.url
        endpoints.delete_endpoint(self.endpoint, by=request.user)
        messages.success(request, f"Endpoint {url} deleted.")
        return redirect("webhooks:list")


class DeliveryResendView(WebhookPageMixin, View):
    """POST only: one more attempt of a delivery, now. Another account's delivery: 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and (request.user.is_portal_admin or request.user.account_id):
            self.delivery = get_object_or_404(endpoints.deliveries_for(request.user).select_related(
                "endpoint", "endpoint__account", "event"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, pk):
        endpoints.resend(self.delivery, by=request.user)
        messages.success(request, f"{self.delivery.event.type} {self.delivery.event_id} is being sent again.")
        return redirect("webhooks:detail", self.delivery.endpoint_id)
