"""Edit Info after purchase (DESIGN.md section 4): a seller's BUY COST beside its
editable SELL COST, for all its buyers or one of them.

Three doors to the same page:
  - the admin, for the operator's own sell cost (the DID product's Setup Fee and
    MonthlyFee, and per-reseller overrides): /dids/<did>/edit-info/
  - the admin, for any holder's sell cost: /dids/<did>/edit-info/<account>/
  - a holder, for its own: /portal/dids/<did>/edit-info/
The rules (floors, history, locks) live in billing.price_book.
"""

from django.contrib import messages
from django.http import Http404
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AccountRequiredMixin, AdminRequiredMixin
from billing.chain import did_chain
from billing.forms import SellCostForm
from billing.models import DIDHistory
from billing.price_book import (
    BelowCost, PriceRefused, buyers_of, clear_override, current_sell_cost, seller_subscription, set_sell_cost,
)
from billing_portal.money import fmt
from dids.models import DID

HISTORY_ROWS = 20


class _EditInfoView(TemplateView):
    template_name = "billing/edit_info.html"
    seller: Account | None = None  # None = the operator
    seller_sub = None

    def load(self, did_pk: int, account_pk: int | None) -> None:
        """Set self.did, self.seller and self.seller_sub, or raise Http404."""
        raise NotImplementedError

    def cancel_url(self) -> str:
        raise NotImplementedError

    @property
    def can_edit(self) -> bool:
        return self.seller is None or self.seller.is_reseller

    def get(self, request, did_pk, account_pk=None):
        self.load(did_pk, account_pk)
        buyer = self._buyer(request.GET.get("buyer"))
        cost = current_sell_cost(self.did, self.seller_sub, buyer.pk if buyer else None)
        form = SellCostForm(initial={
            "buyer": buyer.pk if buyer else None,
            "sell_setup_fee": fmt(cost.price.setup_fee),
            "sell_price": fmt(cost.price.price),
        })
        return self.render_to_response(self.get_context_data(form=form, buyer=buyer, cost=cost))

    def post(self, request, did_pk, account_pk=None):
        self.load(did_pk, account_pk)
        if not self.can_edit:
            raise Http404("Customers have no sell cost to edit.")
        buyer = self._buyer(request.POST.get("buyer"))
        buyer_id = buyer.pk if buyer else None
        seller_id = self.seller.pk if self.seller else None
        if "remove_override" in request.POST and buyer is not None:
            if clear_override(did_id=self.did.pk, seller_id=seller_id, buyer_id=buyer_id, by=request.user):
                messages.success(request, f"{buyer} pays the default sell cost again from its next renewal.")
            return self._back(buyer)
        form = SellCostForm(request.POST)
        if form.is_valid():
            allow_below = request.user.is_portal_admin and form.cleaned_data["below_cost"]
            try:
                changed = set_sell_cost(
                    did_id=self.did.pk, seller_id=seller_id, buyer_id=buyer_id, by=request.user,
                    setup_fee=form.cleaned_data["sell_setup_fee"], price=form.cleaned_data["sell_price"],
                    allow_below_cost=allow_below,
                )
            except BelowCost as refusal:
                text = str(refusal)
                if request.user.is_portal_admin:
                    text += " Check “Sell below cost” and Save again to keep it."
                form.add_error(refusal.field, text)
            except PriceRefused as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))
            else:
                self._report(changed, buyer)
                return self._back(buyer)
        cost = current_sell_cost(self.did, self.seller_sub, buyer_id)
        return self.render_to_response(self.get_context_data(form=form, buyer=buyer, cost=cost))

    def _buyer(self, raw) -> Account | None:
        """The "Sell to" choice: None for all buyers, else one of the seller's own buyers (404 otherwise)."""
        if raw in (None, ""):
            return None
        try:
            return buyers_of(self.seller.pk if self.seller else None).get(pk=int(raw))
        except (ValueError, Account.DoesNotExist):
            raise Http404("No such buyer.")

    def _report(self, changed: bool, buyer) -> None:
        if not changed:
            messages.info(self.request, "Nothing changed.")
            return
        whom = str(buyer) if buyer else self.all_label
        messages.success(self.request, f"Sell cost saved for {whom}. Running subscriptions keep their price "
                                       "until they renew; the new price applies from the next renewal.")

    def _back(self, buyer):
        url = self.request.path
        return redirect(f"{url}?buyer={buyer.pk}" if buyer else url)

    @property
    def all_label(self) -> str:
        return "All resellers" if self.seller is None else "All customers and sub-resellers"

    def get_context_data(self, **kwargs):
        did = self.did
        if self.seller_sub is None:
            buy = dict(buy_cost=did.buy_cost.amount, setup_fee=did.setup_fee.amount, price=did.monthly_fee.amount,
                       billing_type=did.get_billing_type_display(), billing_days=did.billing_days)
        else:
            sub = self.seller_sub
            buy = dict(buy_cost=sub.price.amount, setup_fee=sub.setup_fee.amount, price=sub.price.amount,
                       billing_type=sub.get_billing_type_display(), billing_days=sub.billing_days)
        buyers = list(buyers_of(self.seller.pk if self.seller else None)) if self.can_edit else []
        return super().get_context_data(
            did=did, seller=self.seller, buy=buy, buyers=buyers, all_label=self.all_label,
            can_edit=self.can_edit, cancel_url=self.cancel_url(), is_admin=self.request.user.is_portal_admin,
            history=self.history(), chain=self.chain(), **kwargs,
        )

    def history(self):
        rows = DIDHistory.objects.filter(did=self.did).select_related("account", "for_account", "actor")
        return rows[:HISTORY_ROWS]

    def chain(self):
        return None


class OperatorEditInfoView(AdminRequiredMixin, _EditInfoView):
    """The operator's sell cost: its default is the DID product's Setup Fee and MonthlyFee."""

    def load(self, did_pk, account_pk):
        self.did = get_object_or_404(DID.objects.select_related("provider"), pk=did_pk)

    def cancel_url(self):
        return reverse("dids:list")

    def chain(self):
        return did_chain(self.did)


class HolderEditInfoAdminView(AdminRequiredMixin, _EditInfoView):
    """The admin editing one holder's sell cost (a reseller at any level)."""

    def load(self, did_pk, account_pk):
        self.did = get_object_or_404(DID, pk=did_pk)
        self.seller = get_object_or_404(Account, pk=account_pk)
        self.seller_sub = seller_subscription(self.did.pk, self.seller.pk)
        if self.seller_sub is None:
            raise Http404("This account does not hold this DID.")

    def cancel_url(self):
        return reverse("billing:edit_info", args=[self.did.pk])

    def chain(self):
        return did_chain(self.did)


class MyEditInfoView(AccountRequiredMixin, _EditInfoView):
    """A holder's own Edit Info: BUY COST read-only, SELL COST its own."""

    def load(self, did_pk, account_pk):
        self.did = get_object_or_404(DID, pk=did_pk)
        self.seller = self.account
        self.seller_sub = seller_subscription(self.did.pk, self.account.pk)
        if self.seller_sub is None:
            raise Http404("You do not hold this DID.")

    def cancel_url(self):
        return reverse("resellers:dids")

    def history(self):
        # Only rows about this account: the rest of the chain is not its business.
        rows = DIDHistory.objects.filter(Q(account=self.account) | Q(for_account=self.account), did=self.did).select_related("for_account", "actor")
        return rows[:HISTORY_ROWS]
