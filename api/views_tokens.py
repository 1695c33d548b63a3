"""The "API tokens" page of every login (user menu): its tokens (an admin: the operator's),
create (the secret shown once, on the page that answers the form), revoke (a confirmation page,
then POST). The rules are in api/tokens.py."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.generic import FormView, TemplateView

from api import tokens
from api.forms import ApiTokenForm
from audit.context import login_as_admin


class TokenPageMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_portal_admin or user.account_id):
            raise PermissionDenied("API tokens belong to the operator's admins and to accounts.")
        return super().dispatch(request, *args, **kwargs)


class TokenListView(TokenPageMixin, TemplateView):
    template_name = "api/token_list.html"

    def get_context_data(self, **kwargs):
        active_first = F("revoked_at").asc(nulls_first=True)
        rows = tokens.tokens_for(self.request.user).select_related("user").order_by(active_first, "-created_at", "-id")
        return super().get_context_data(tokens=rows, now=timezone.now(),
                                        operator=self.request.user.is_portal_admin, **kwargs)


class TokenCreateView(TokenPageMixin, FormView):
    form_class = ApiTokenForm
    template_name = "api/token_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and login_as_admin(request) is not None:
            # A token outlives the "log in as" session: the account makes its own.
            messages.error(request, "An admin logged in as an account cannot create its API tokens.")
            return redirect("api_tokens:list")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        now = timezone.now()
        try:
            row, secret = tokens.create_token(user=self.request.user, name=form.cleaned_data["name"],
                                              expires_at=form.expires_at(now), by=self.request.user, now=now)
        except tokens.TokenRefused as refused:
            form.add_error(refused.field, str(refused))
            return self.form_invalid(form)
        # Rendered, not redirected: the secret exists only in this response.
        return TemplateResponse(self.request, "api/token_created.html", {"token": row, "secret": secret},
                                headers={"Cache-Control": "no-store"})


class TokenRevokeView(TokenPageMixin, TemplateView):
    """GET asks for confirmation; only POST revokes. Another account's token: 404."""

    template_name = "api/token_revoke.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.token = get_object_or_404(tokens.tokens_for(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(token=self.token, **kwargs)

    def post(self, request, pk):
        if tokens.revoke_token(self.token, by=request.user):
            messages.success(request, f"Token {self.token.name} revoked: requests with it get 401 from now on.")
        else:
            messages.info(request, f"Token {self.token.name} was already revoked.")
        return redirect("api_tokens:list")
