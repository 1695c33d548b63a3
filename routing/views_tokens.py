"""The admin's switch token pages: list, create (the token is shown once, on the
page that answers the form), the token's country, revoke (a confirmation page, then POST)."""

from django.contrib import messages
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.generic import FormView, TemplateView, UpdateView

from accounts.permissions import AdminRequiredMixin
from routing import tokens
from routing.forms import SwitchTokenCountryForm, SwitchTokenForm
from routing.models import SwitchToken


class TokenListView(AdminRequiredMixin, TemplateView):
    template_name = "routing/token_list.html"

    def get_context_data(self, **kwargs):
        active_first = F("revoked_at").asc(nulls_first=True)  # NULL sorts differently on PostgreSQL and SQLite
        rows = SwitchToken.objects.select_related("created_by").order_by(active_first, "name")
        return super().get_context_data(tokens=rows, **kwargs)


class TokenCreateView(AdminRequiredMixin, FormView):
    form_class = SwitchTokenForm
    template_name = "routing/token_form.html"

    def form_valid(self, form):
        row, plain = tokens.create_token(form.cleaned_data["name"], by=self.request.user,
                                         country=form.cleaned_data["country"] or "")
        # Rendered, not redirected: the plain token exists only in this response.
        return TemplateResponse(self.request, "routing/token_created.html", {"token": row, "plain": plain},
                                headers={"Cache-Control": "no-store"})


class TokenCountryView(AdminRequiredMixin, UpdateView):
    """The country a switch's national called numbers belong to (the token itself never changes)."""

    model = SwitchToken
    form_class = SwitchTokenCountryForm
    template_name = "routing/token_country.html"

    def form_valid(self, form):
        before = SwitchToken.objects.get(pk=self.object.pk).country.code
        tokens.set_country(self.object, form.cleaned_data["country"] or "", before=before, by=self.request.user)
        messages.success(self.request, f"Token {self.object.name}: called numbers without a calling code are read "
                                       f"{'in ' + self.object.country.name if self.object.country else 'as international'}.")
        return redirect("routing:tokens")


class TokenRevokeView(AdminRequiredMixin, TemplateView):
    """GET asks for confirmation; only POST revokes."""

    template_name = "routing/token_revoke.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_portal_admin:
            self.token = get_object_or_404(SwitchToken, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(token=self.token, **kwargs)

    def post(self, request, pk):
        if tokens.revoke(self.token, by=request.user):
            messages.success(request, f"Token {self.token.name} revoked: lookups with it are refused from now on.")
        else:
            messages.info(request, f"Token {self.token.name} was already revoked.")
        return redirect("routing:tokens")
