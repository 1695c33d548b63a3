"""Edit Info after purchase (DESIGN.md section 4): a seller's BUY COST ("You pay") beside its
editable SELL COST ("You charge"), for all its buyers or one of them; a customer, who sells to
nobody, sees only what it pays. The provider's cost is shown to admins only, under its own name.

Three doors to the same page:
  - the admin, for the operator's own sell cost (the DID product's Setup Fee and
    MonthlyFee, and per-reseller overrides): /dids/<did>/edit-info/
  - the admin, for any holder's sell cost: /dids/<did>/edit-info/<account>/
  - a holder, for its own: /portal/dids/<did>/edit-info/
The rules (floors, history, locks) live in billing.prices.book and, for the call
rates under the prices (a reseller's default sell cost only), billing.prices.rate_book.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Account
from accounts.permissions import AdminRequiredMixin
from dids.call_preview import call_preview
from dids.rating import RATE_FIELDS
from billing.subscriptions.chain import did_chain
from billing.forms import SellCostForm
from dids.models import DIDHistory
from billing.prices.book import buyers_of, clear_override, current_sell_cost
from billing.subscriptions.holdings import holding
from billing.prices.rate_book import RatesRefused, as_rates, rate_card, set_sell_cost_and_rates
from core.money import fmt, fmt_page
from dids.models import DID

HISTORY_ROWS = 20


class EditInfoView(TemplateView):
    template_name = "billing/edit_info.html"
    seller: Account | None = None  # None = the operator
    seller_sub = None
    own_page = False  # the holder's own door ("You pay") rather than the admin's

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
        initial = {
            "buyer": buyer.pk if buyer else None,
            "sell_setup_fee": fmt(cost.price.setup_fee),
            "sell_price": fmt(cost.price.price),
        }
        if self._rates_editable(buyer):
            # Rates not set yet show the buy rates: saving them unchanged keeps "same as my buy cost".
            initial.update(_rate_initial(self.card.sell))
        form = SellCostForm(initial=initial, with_rates=self._rates_editable(buyer))
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
        form = SellCostForm(request.POST, with_rates=self._rates_editable(buyer))
        if form.is_valid():
            rates = form.rate_values()
            allow_below = request.user.is_portal_admin and form.cleaned_data["below_cost"]
            try:
                changed = set_sell_cost_and_rates(
                    did_id=self.did.pk, seller_id=seller_id, buyer_id=buyer_id, by=request.user,
                    setup_fee=form.cleaned_data["sell_setup_fee"], price=form.cleaned_data["sell_price"],
                    rates=as_rates(rates) if rates else None, allow_below_cost=allow_below,
                )
            except RatesRefused as refusal:
                for field, text in refusal.errors.items():
                    form.add_error(field if field in form.fields else None, text)
                if refusal.below_cost and request.user.is_portal_admin:
                    floor = "the provider cost" if self.seller is None else f"what {self.seller.name} pays"
                    form.add_error(None, f"Below {floor}: check “Sell below cost” and Save again to keep it.")
            else:
                self._report(*changed, buyer)
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

    def _report(self, price_changed: bool, rates_changed: bool, buyer) -> None:
        if not (price_changed or rates_changed):
            messages.info(self.request, "Nothing changed.")
            return
        whom = str(buyer) if buyer else self.all_label
        if price_changed:
            messages.success(self.request, f"Sell cost saved for {whom}. Running subscriptions keep their price "
                                           "until they renew; the new price applies from the next renewal.")
        if rates_changed:
            messages.success(self.request, f"Call rates saved for {whom}. They apply to calls rated from now on.")

    def _rates_editable(self, buyer) -> bool:
        """Call rates are one set per reseller for all its buyers (no per-buyer rates)."""
        return self.seller is not None and self.seller.is_reseller and buyer is None

    @property
    def card(self):
        if not hasattr(self, "_card"):
            self._card = rate_card(self.did, self.seller_sub)
        return self._card

    def preview(self):
        """Call cost preview columns: what this holder pays and, for a reseller, what its buyers pay."""
        own = self.own_page
        columns = [("You pay" if own else f"{self.seller.name} pays", self.card.buy)]
        if self.seller.is_reseller:
            columns.append(("Your buyers pay" if own else "Its buyers pay", self.card.sell))
        return call_preview(self.request.GET, columns, keep=("buyer",))

    def _back(self, buyer):
        url = self.request.path
        return redirect(f"{url}?buyer={buyer.pk}" if buyer else url)

    def price_names(self) -> dict:
        """The headings of the two price columns: one name per price, never "Buy Cost" for two things."""
        if self.seller is None:
            return dict(buy="The DID product", sell="The operator charges")
        if self.own_page:
            return dict(buy="You pay", sell="You charge")
        return dict(buy=f"{self.seller.name} pays", sell=f"{self.seller.name} charges")

    @property
    def all_label(self) -> str:
        return "All resellers" if self.seller is None else "All customers and sub-resellers"

    def get_context_data(self, **kwargs):
        did = self.did
        if self.seller_sub is None:
            buy = dict(setup_fee=did.setup_fee.amount, price=did.monthly_fee.amount,
                       billing_type=did.get_billing_type_display(), billing_days=did.billing_days)
        else:
            sub = self.seller_sub
            buy = dict(setup_fee=sub.setup_fee.amount, price=sub.price.amount,
                       billing_type=sub.get_billing_type_display(), billing_days=sub.billing_days)
        is_admin = self.request.user.is_portal_admin
        # What the operator pays the provider: the operator's business, never shown to an account.
        provider_cost = did.buy_cost.amount if is_admin else None
        buyers = list(buyers_of(self.seller.pk if self.seller else None)) if self.can_edit else []
        form = kwargs["form"]
        return super().get_context_data(
            did=did, seller=self.seller, buy=buy, buyers=buyers, all_label=self.all_label,
            provider_cost=provider_cost, names=self.price_names(), own_page=self.own_page,
            can_edit=self.can_edit, cancel_url=self.cancel_url(), is_admin=is_admin,
            history=self.history(), chain=self.chain(), rates=self.card, rate_rows=_rate_rows(self.card, form),
            rates_editable=form.has_rates, preview=self.preview(), **kwargs,
        )

    def history(self):
        rows = DIDHistory.objects.filter(did=self.did).select_related("account", "for_account", "actor")
        return rows[:HISTORY_ROWS]

    def chain(self):
        return None


class OperatorEditInfoView(AdminRequiredMixin, EditInfoView):
    """The operator's sell cost: its default is the DID product's Setup Fee and MonthlyFee."""

    def load(self, did_pk, account_pk):
        self.did = get_object_or_404(DID.objects.select_related("provider"), pk=did_pk)

    def cancel_url(self):
        return reverse("dids:list")

    def chain(self):
        return did_chain(self.did)

    def preview(self):
        return call_preview(self.request.GET, [("First holder pays", self.card.buy)], keep=("buyer",))


class HolderEditInfoAdminView(AdminRequiredMixin, EditInfoView):
    """The admin editing one holder's sell cost (a reseller at any level)."""

    def load(self, did_pk, account_pk):
        self.did = get_object_or_404(DID, pk=did_pk)
        self.seller = get_object_or_404(Account, pk=account_pk)
        self.seller_sub = holding(self.did.pk, self.seller.pk)
        if self.seller_sub is None:
            raise Http404("This account does not hold this DID.")

    def cancel_url(self):
        return reverse("billing:edit_info", args=[self.did.pk])

    def chain(self):
        return did_chain(self.did)


# The call rate rows under the prices: (form field, label, attribute of Rates, money or seconds).
RATE_ROWS = tuple((field.sell, field.label, field.name, field.money) for field in RATE_FIELDS)


def _show(value, is_money: bool) -> str:
    """A rate as a form input's value (read back: no grouping)."""
    return fmt(value) if is_money else str(value)


def _shown(value, is_money: bool) -> str:
    """A rate as the page shows it: 1,234.5000 and 1,800 seconds grouped."""
    if value is None:
        return ""
    return fmt_page(value) if is_money else f"{value:,}"


def _rate_initial(rates) -> dict:
    return {name: _show(getattr(rates, attr), is_money) for name, _, attr, is_money in RATE_ROWS}


def _rate_rows(card, form) -> list[dict]:
    """One row per rate: its label, the BUY COST value, the SELL COST value and (when editable) its field."""
    return [
        dict(name=name, label=label, money=is_money, buy=_shown(getattr(card.buy, attr), is_money),
             sell=_shown(getattr(card.sell, attr), is_money), field=form[name] if form.has_rates else None)
        for name, label, attr, is_money in RATE_ROWS
    ]
