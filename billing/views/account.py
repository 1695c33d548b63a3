"""The admin's page for one account (/accounts/manage/<pk>/): its details, the
Add funds and Adjustment forms (POST only, each posting exactly one ledger entry,
once per form), its latest entries."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from billing.forms import AddFundsForm, AdjustmentForm
from billing.ledger.funds import FundsError, add_funds, adjust, post_once
from core.money import fmt_page

LATEST = 5


class AccountMoneyView(AdminRequiredMixin, TemplateView):
    template_name = "billing/account_detail.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_portal_admin:
            self.account = get_object_or_404(Account.objects.select_related("parent", "user"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("funds_form", AddFundsForm(account_id=self.account.pk))
        kwargs.setdefault("adjust_form", AdjustmentForm(account_id=self.account.pk))
        latest = self.account.ledger_entries.select_related("did").order_by("-seq")[:LATEST]
        return super().get_context_data(account=self.account, latest=latest, **kwargs)


class _PostEntryView(AccountMoneyView):
    """POST only. Invalid input: the account page again, the form as typed, the
    message next to the field, nothing written."""

    http_method_names = ["post"]
    form_class = None
    context_name = ""
    what = ""

    def post(self, request, pk):
        form = self.form_class(request.POST, account_id=self.account.pk)
        if form.is_valid():
            try:
                entry, posted = post_once(self.service, idempotency_key=form.ledger_key, **self.arguments(form))
            except FundsError as exc:
                form.add_error(exc.field, str(exc))
            else:
                self.report(entry, posted)
                return redirect("billing:account", pk=self.account.pk)
        return self.render_to_response(self.get_context_data(**{self.context_name: form}))

    def report(self, entry, posted: bool) -> None:
        if posted:
            messages.success(
                self.request,
                f"{self.what} of {fmt_page(entry.amount)} USD recorded. Balance: {fmt_page(entry.balance_after)} USD.",
            )
        else:
            when = timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M")
            messages.info(
                self.request,
                f"This {self.what.lower()} was already recorded ({fmt_page(entry.amount)} USD on {when}); "
                "it was not posted again.",
            )


class AddFundsView(_PostEntryView):
    form_class = AddFundsForm
    context_name = "funds_form"
    what = "Refill"

    service = staticmethod(add_funds)

    def arguments(self, form) -> dict:
        return {
            "account_id": self.account.pk,
            "amount": form.cleaned_data["amount"],
            "description": form.cleaned_data["description"].strip(),
            "by": self.request.user,
        }


class AdjustView(_PostEntryView):
    form_class = AdjustmentForm
    context_name = "adjust_form"
    what = "Adjustment"

    service = staticmethod(adjust)

    def arguments(self, form) -> dict:
        return {
            "account_id": self.account.pk,
            "amount": form.cleaned_data["amount"],
            "reason": form.cleaned_data["reason"],
            "by": self.request.user,
        }
