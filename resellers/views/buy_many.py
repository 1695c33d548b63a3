"""Buy several: the DIDs checked on Buy DIDs (or the first ones matching its search), one
confirmation page with each number's price and the total, then one purchase of them all
(billing/subscriptions/purchase_many.py: all bought or none)."""

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.views.generic import TemplateView

from accounts.permissions import AccountRequiredMixin
from billing.prices.resolve import Price
from billing.subscriptions.pool import pool_for
from billing.subscriptions.purchase import PurchaseRefused
from billing.subscriptions.purchase_keys import new_many_key, verify_many_key
from billing.subscriptions.purchase_many import MAX_AT_ONCE, purchase_many
from core.money import fmt_page, quantize
from dids.numbers import display
from resellers.forms import BuyDIDsSearchForm
from billing.subscriptions.offers import search_pool, with_buyer_prices
from resellers.offer_rows import country_choices


class BuyManyView(AccountRequiredMixin, TemplateView):
    """POST only. Without ``key``: the confirmation page; with it: the purchase."""

    template_name = "resellers/buy_many.html"
    http_method_names = ["post"]

    def post(self, request):
        if "key" in request.POST:
            return self._buy(request)
        ids = self._chosen(request)
        if not ids:
            messages.error(request, "Check at least one DID to buy.")
            return redirect("resellers:buy")
        return self._confirm(ids)

    def _chosen(self, request) -> list[int]:
        """The checked DIDs, or the first MAX_AT_ONCE matching Buy DIDs' search (``q``)."""
        if "matching" in request.POST:
            pool = pool_for(self.account)
            search = BuyDIDsSearchForm(QueryDict(request.POST.get("q", "")),
                                       countries=country_choices(self.account))
            if search.errors:
                return []
            matching = search_pool(with_buyer_prices(pool, self.account), search.filters())
            return list(matching.order_by("number").values_list("pk", flat=True)[:MAX_AT_ONCE])
        try:
            return sorted({int(v) for v in request.POST.getlist("did")})[:MAX_AT_ONCE + 1]
        except ValueError:
            raise Http404("No such DID.")

    def _offers(self, ids):
        """{did: Price} of the DIDs of ``ids`` still in the pool, at this buyer's prices, by number."""
        dids = with_buyer_prices(pool_for(self.account).filter(pk__in=ids), self.account).order_by("number")
        return {did: Price(quantize(did.buy_setup_fee), quantize(did.buy_price), did.billing_type, did.billing_days)
                for did in dids}

    def _confirm(self, ids, error="", status=200):
        if len(ids) > MAX_AT_ONCE:
            messages.error(self.request, f"Check at most {MAX_AT_ONCE:,} DIDs to buy at once.")
            return redirect("resellers:buy")
        offers = self._offers(ids)
        gone = len(ids) - len(offers)
        if not offers:
            messages.error(self.request, error or "None of these DIDs is for sale any more.")
            return redirect("resellers:buy")
        rows = [{"number": display(did.number), "pk": did.pk, "setup_fee": fmt_page(p.setup_fee), "price": fmt_page(p.price),
                 "billing": f"once, for {p.billing_days} days" if p.billing_type == "one_time"
                 else f"every {p.billing_days} days", "total": fmt_page(p.total_now)} for did, p in offers.items()]
        if self.account.is_reseller:
            # What each number will charge its buyers after the purchase: purchase_many passes no sell cost, so
            # sell_locked (billing/subscriptions/purchase.py) gives the new holding SELL COST = BUY COST.
            # A customer sells to nobody and sees no sell side (as on Edit Info).
            for row in rows:
                row["sell"] = f"{row['setup_fee']} setup, {row['price']} {row['billing']}"
        key = new_many_key(buyer_id=self.account.pk, prices={did.pk: p for did, p in offers.items()})
        total = quantize(sum((p.total_now for p in offers.values()), quantize(0)))
        return self.render_to_response(self.get_context_data(
            rows=rows, total=fmt_page(total), key=key, error=error, gone=gone, sells=self.account.is_reseller),
            status=status)

    def _buy(self, request):
        ticket = verify_many_key(request.POST.get("key", ""), buyer_id=self.account.pk)
        if ticket is None:
            raise Http404("No such offer.")
        try:
            result = purchase_many(buyer_id=self.account.pk, expected=ticket.expected, purchase_key=ticket.key,
                                   by=request.user)
        except PurchaseRefused as refusal:
            # The page again, read afresh: what is still for sale, at today's prices, with a new key.
            return self._confirm(sorted(ticket.expected), error=str(refusal), status=409)
        if result.repeated:
            messages.info(request, f"These {len(result.bought):,} DIDs were already bought by this page; charged once.")
        else:
            messages.success(request, f"Bought {len(result.bought):,} DIDs. Charged {fmt_page(result.charged)} USD.")
        return redirect("resellers:dids")
