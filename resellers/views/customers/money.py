"""Record payment and Adjustment on one of the reseller's accounts: each posts exactly one
ledger entry on that account, once per form (the form's key names the account:
billing.forms.AccountKeyedForm), and never moves the reseller's own balance
(billing/ledger/funds.py). GET shows the form; invalid input: the form again, as typed, the
message next to the field, nothing written."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView

from billing.forms import AccountAdjustmentForm, PaymentForm
from billing.ledger.funds import FundsError, adjust, post_once, record_payment
from core.money import fmt_page
from resellers.views.customers.scope import ChildAccountMixin


class _EntryFormView(ChildAccountMixin, TemplateView):
    template_name = "resellers/customers/money_form.html"
    form_class = None
    title = ""
    button = ""
    what = ""  # "Payment", "Adjustment": the messages' first word
    service = None

    def form(self, data=None):
        return self.form_class(data, account_number=self.child.number)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.form())
        return super().get_context_data(account=self.child, title=self.title, button=self.button, **kwargs)

    def post(self, request, number):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                entry, posted = post_once(self.service, idempotency_key=form.ledger_key, account_id=self.child.pk,
                                          by=request.user, **self.arguments(form.cleaned_data))
            except FundsError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                self.report(entry, posted)
                return redirect("customers:detail", number=number)
        return self.render_to_response(self.get_context_data(form=form))

    def report(self, entry, posted: bool) -> None:
        if posted:
            messages.success(self.request, f"{self.what} of {fmt_page(entry.amount)} USD recorded for {self.child.name}. "
                                           f"Its balance: {fmt_page(entry.balance_after)} USD.")
        else:
            when = timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M")
            messages.info(self.request, f"This {self.what.lower()} was already recorded ({fmt_page(entry.amount)} USD on "
                                        f"{when}); it was not posted again.")


class RecordPaymentView(_EntryFormView):
    """A customer paid the reseller (cash, bank transfer): its balance goes up by the amount."""

    form_class = PaymentForm
    title = "Record Payment"
    button = "Record Payment"
    what = "Payment"
    service = staticmethod(record_payment)

    def arguments(self, data) -> dict:
        return {"amount": data["amount"], "reference": data["reference"]}


class AdjustmentView(_EntryFormView):
    """A correction of the account's books, with a reason: a credit or a debit."""

    form_class = AccountAdjustmentForm
    title = "Adjustment"
    button = "Post Adjustment"
    what = "Adjustment"
    service = staticmethod(adjust)

    def arguments(self, data) -> dict:
        return {"amount": data["amount"], "reason": data["reason"]}
