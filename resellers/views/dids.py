"""The reseller and customer panel, as the seed shows it: DIDs, Buy DIDs,
Purchase -> Edit Info, Delete (release). Views translate HTTP to a service call
and a refusal to a message; prices always come from billing.prices.resolve."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.permissions import AccountRequiredMixin
from billing.models import Subscription
from billing.subscriptions.holdings import seller_holding, unsold_holdings
from billing.subscriptions.pool import pool_for
from billing.prices.lookups import price_for, prices_for
from billing.subscriptions.purchase import PurchaseRefused, purchase_did
from billing.subscriptions.purchase_keys import new_purchase_key, verify_purchase_key
from billing.subscriptions.sellable import seller_suspended, why_not_for_sale
from billing.subscriptions.release import ReleaseRefused, release_did
from core.listing import paginate
from core.money import fmt
from dids.filters import number_contains
from dids.models import DID
from dids.numbers import search_digits
from resellers.forms import PurchaseForm
from resellers.offer_rows import offer_rows

POOL_SORTS = {
    "number": ("number",),
    "country": ("country", "number"),
    "city": ("city", "number"),
    "province": ("province", "number"),
    "billing_days": ("billing_days", "number"),
}
MY_SORTS = {
    "number": ("did__number",),
    "country": ("did__country", "did__number"),
    "price": ("price", "did__number"),
    "period_end": ("period_end", "did__number"),
}


class AccountView(AccountRequiredMixin, TemplateView):
    """The logged-in reseller's or customer's own account."""

    template_name = "resellers/account.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)


def _number_filter(request, queryset, field="number"):
    digits = search_digits(request.GET.get("number", ""))[:15]
    return number_contains(queryset, digits, field) if digits else queryset


class MyDIDsView(AccountRequiredMixin, TemplateView):
    """DIDs: the account's own numbers, Buy DIDs, Delete on checked rows."""

    template_name = "resellers/my_dids.html"

    def get_context_data(self, **kwargs):
        subs = Subscription.objects.filter(account=self.account, status=Subscription.Status.ACTIVE).select_related("did")
        subs = _number_filter(self.request, subs, "did__number")
        page = paginate(self.request, subs, sorts=MY_SORTS, default_sort="number", keyset=True)
        # Who each row is sold on to: one query for the whole page.
        children = Subscription.objects.filter(
            parent__in=[s.pk for s in page.rows], status=Subscription.Status.ACTIVE
        ).select_related("account")
        sold_to = {c.parent_id: c.account for c in children}
        for sub in page.rows:
            sub.sold_to = sold_to.get(sub.pk)
        return super().get_context_data(page=page, number=self.request.GET.get("number", ""), **kwargs)


class BuyDIDsView(AccountRequiredMixin, TemplateView):
    """Buy DIDs: the parent's unsold Active DIDs at the price this account would pay; when the
    parent is a suspended reseller, a notice saying so instead of an empty table."""

    template_name = "resellers/buy_dids.html"

    def get_context_data(self, **kwargs):
        if seller_suspended(self.account):  # billing/subscriptions/sellable.py: nothing of its is for sale
            return super().get_context_data(seller_suspended=True, **kwargs)
        pool = _number_filter(self.request, pool_for(self.account))
        # Without NUL: PostgreSQL refuses it in a query (a 500).
        country = self.request.GET.get("country", "").replace("\x00", "").strip().upper()[:2]
        if country:
            pool = pool.filter(country=country)
        page = paginate(
            self.request, pool, sorts=POOL_SORTS, default_sort="number", keyset=True, unique=("number",),
            jump={"number": lambda text: "+" + search_digits(text)[:15]}, jump_label="Go to DID",
        )
        sellers = {}
        if self.account.parent_id:
            sellers = {
                s.did_id: s
                for s in unsold_holdings(self.account.parent_id).filter(did__in=[d.pk for d in page.rows])
            }
        offers = prices_for(self.account, page.rows, sellers)
        for did in page.rows:
            did.offer = offers[did.pk]
        return super().get_context_data(
            page=page, rows=offer_rows(page.rows, offers), number=self.request.GET.get("number", ""), country=country,
            **kwargs,
        )


class PurchaseView(AccountRequiredMixin, TemplateView):
    """Purchase -> Edit Info: BUY COST (exactly what will be charged) beside an
    editable SELL COST. Save buys; Cancel buys nothing."""

    template_name = "resellers/purchase.html"

    def _offer(self, did_pk):
        did = get_object_or_404(pool_for(self.account), pk=did_pk)
        return did, price_for(did, seller_holding(self.account, did.pk), self.account.pk)

    def get(self, request, did_pk):
        try:
            did, price = self._offer(did_pk)
        except Http404:
            # A number of its seller's that cannot be sold now (Buy DIDs was open a while): why, on Buy DIDs.
            reason = why_not_for_sale(self.account, did_pk)
            if not reason:
                raise
            messages.error(request, reason)
            return redirect("resellers:buy")
        form = PurchaseForm(
            initial={
                "purchase_key": new_purchase_key(
                    buyer_id=self.account.pk, did_id=did.pk, setup_fee=price.setup_fee, price=price.price
                ),
                "sell_setup_fee": fmt(price.setup_fee),
                "sell_price": fmt(price.price),
            },
            is_reseller=self.account.is_reseller,
        )
        return self.render_to_response(self.get_context_data(did=did, price=price, form=form))

    def post(self, request, did_pk):
        ticket = verify_purchase_key(request.POST.get("purchase_key", ""), buyer_id=self.account.pk, did_id=did_pk)
        if ticket is None:
            raise Http404("No such offer.")
        did = get_object_or_404(DID, pk=did_pk)
        seller_sub = seller_holding(self.account, did.pk)
        price = price_for(did, seller_sub, self.account.pk)
        # Sell-cost floors use the price the page showed; the service refuses if it changed since.
        form = PurchaseForm(request.POST, buy_price=ticket, is_reseller=self.account.is_reseller)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(did=did, price=price, form=form))
        try:
            result = purchase_did(
                buyer_id=self.account.pk,
                did_id=did.pk,
                purchase_key=ticket.key,
                expected=(ticket.setup_fee, ticket.price),
                by=request.user,
                # A customer sells to nobody: its sell cost is a copy of what it pays, whatever is posted.
                sell_setup_fee=form.cleaned_data.get("sell_setup_fee") if self.account.is_reseller else None,
                sell_price=form.cleaned_data.get("sell_price") if self.account.is_reseller else None,
            )
        except PurchaseRefused as refusal:
            form.add_error(None, str(refusal))
            return self.render_to_response(self.get_context_data(did=did, price=price, form=form), status=409)
        if result.repeated:
            messages.info(request, f"DID {did.digits} was already purchased by this request; charged once.")
        else:
            messages.success(request, f"DID {did.digits} purchased. Charged {fmt(result.charged)} USD.")
        return redirect("resellers:dids")


class ReleaseView(AccountRequiredMixin, TemplateView):
    """Delete on checked rows: a confirmation page (no refund), then the release.
    POST only: the checked rows arrive as ``did`` values."""

    template_name = "resellers/release_confirm.html"
    http_method_names = ["post"]

    def post(self, request):
        try:
            ids = sorted({int(v) for v in request.POST.getlist("did")})
        except ValueError:
            raise Http404("No such DID.")
        if not ids:
            messages.error(request, "Check at least one DID to delete.")
            return redirect("resellers:dids")
        held = list(
            Subscription.objects.filter(account=self.account, status="active", did_id__in=ids).select_related("did")
        )
        if len(held) != len(ids):
            raise Http404("No such DID.")
        if "confirm" not in request.POST:
            return self.render_to_response(self.get_context_data(held=held))
        released, refused = [], []
        for sub in held:
            try:
                released.append(release_did(account_id=self.account.pk, did_id=sub.did_id, by=request.user))
            except ReleaseRefused as refusal:
                refused.append(str(refusal))
        if released:
            messages.success(request, f"Released {', '.join(released)}. No refund is given.")
        for text in refused:
            messages.error(request, text)
        return redirect(reverse("resellers:dids"))
