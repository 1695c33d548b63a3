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
from billing.subscriptions.holdings import seller_holding
from billing.subscriptions.pool import pool_for
from billing.prices.lookups import price_for
from billing.prices.resolve import Price
from billing.subscriptions.purchase import PurchaseRefused, purchase_did, why_gone
from billing.subscriptions.purchase_many import MAX_AT_ONCE
from billing.subscriptions.purchase_keys import new_purchase_key, verify_purchase_key
from billing.subscriptions.sellable import seller_suspended, why_not_for_sale
from billing.subscriptions.release import ReleaseRefused, release_did
from core.csv_stream import csv_download, csv_lines
from core.listing import paginate, sorted_by
from core.money import fmt, fmt_page, quantize
from dids.filters import number_contains
from dids.models import DID
from dids.numbers import search_digits
from resellers.exports import BUY_DIDS_HEADER, MY_DIDS_HEADER, SOLD_TO_HEADER, held_dids_rows, offer_csv_rows
from resellers.forms import BuyDIDsSearchForm, PurchaseForm
from billing.subscriptions.offers import search_pool, with_buyer_prices
from resellers.offer_rows import buy_matching_label, country_choices, offer_rows

POOL_SORTS = {
    "number": ("number",),
    "country": ("country", "number"),
    "city": ("city", "number"),
    "province": ("province", "number"),
    "billing_days": ("billing_days", "number"),
    # What this buyer pays (billing/subscriptions/offers.py with_buyer_prices), not the product's fee.
    "price": ("buy_price", "number"),
    "setup_fee": ("buy_setup_fee", "number"),
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

    def held(self):
        """The page's rows: the account's active subscriptions, searched by number."""
        subs = Subscription.objects.filter(account=self.account, status=Subscription.Status.ACTIVE)
        return _number_filter(self.request, subs, "did__number")

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # every row of the searched list, in the page's order
            rows = held_dids_rows(sorted_by(request, self.held(), MY_SORTS, "number"), sold_to=True)
            return csv_download(csv_lines(MY_DIDS_HEADER + SOLD_TO_HEADER, rows), f"dids-{self.account.number}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        page = paginate(self.request, self.held().select_related("did"), sorts=MY_SORTS, default_sort="number",
                        keyset=True)
        # Who each row is sold on to: one query for the whole page.
        children = Subscription.objects.filter(
            parent__in=[s.pk for s in page.rows], status=Subscription.Status.ACTIVE
        ).select_related("account")
        sold_to = {c.parent_id: c.account for c in children}
        for sub in page.rows:
            sub.sold_to = sold_to.get(sub.pk)
        return super().get_context_data(page=page, number=self.request.GET.get("number", ""), **kwargs)


class BuyDIDsView(AccountRequiredMixin, TemplateView):
    """Buy DIDs: the parent's unsold Active DIDs at the price this account would pay, searched by
    country, city, province, number and price, sorted by any column (price and setup fee in SQL:
    billing/subscriptions/offers.py with_buyer_prices); when the parent is a suspended reseller, a notice
    saying so instead of an empty table."""

    template_name = "resellers/buy_dids.html"

    def searched_pool(self):
        """(the search form, the pool it finds at this buyer's prices)."""
        search = BuyDIDsSearchForm(self.request.GET, countries=country_choices(self.account))
        pool = search_pool(with_buyer_prices(pool_for(self.account), self.account), search.filters())
        if search.errors:  # a mistyped search shows its message and nothing, never rows it did not ask for
            pool = pool.none()
        return search, pool

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # every row the search finds, at the prices the page shows
            pool = self.searched_pool()[1]
            if seller_suspended(self.account):  # the page shows no rows then: neither does the file
                pool = pool.none()
            rows = offer_csv_rows(sorted_by(request, pool, POOL_SORTS, "number"))
            return csv_download(csv_lines(BUY_DIDS_HEADER, rows), f"buy-dids-{self.account.number}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        if seller_suspended(self.account):  # billing/subscriptions/sellable.py: nothing of its is for sale
            return super().get_context_data(seller_suspended=True, **kwargs)
        search, pool = self.searched_pool()
        page = paginate(
            self.request, pool, sorts=POOL_SORTS, default_sort="number", keyset=True, unique=("number",),
            jump={"number": lambda text: "+" + search_digits(text)[:15]}, jump_label="Go to DID",
        )
        # The prices the rows were filtered and sorted by (with_buyer_prices: the price rule in SQL,
        # checked against billing/prices/resolve.py by tests/resellers/test_buy_dids_search.py).
        offers = {did.pk: Price(quantize(did.buy_setup_fee), quantize(did.buy_price), did.billing_type,
                                did.billing_days) for did in page.rows}
        for did in page.rows:
            did.offer = offers[did.pk]
        return super().get_context_data(page=page, rows=offer_rows(page.rows, offers), search=search,
                                        buy_matching=buy_matching_label(page, MAX_AT_ONCE), **kwargs)


class PurchaseView(AccountRequiredMixin, TemplateView):
    """Purchase -> Edit Info: BUY COST (exactly what will be charged) beside an
    editable SELL COST. Save buys; Cancel buys nothing. A refused Save shows the page again
    with the price as it is now and a fresh key, so the next Save can succeed."""

    template_name = "resellers/purchase.html"

    def _offer(self, did_pk):
        did = pool_for(self.account).filter(pk=did_pk).first()
        if did is None:
            return None, None
        return did, price_for(did, seller_holding(self.account, did.pk), self.account.pk)

    def _fresh_values(self, did, price, typed=None):
        """The form's values for the price as it is now, with a new signed key; sell costs as typed, but
        never below the (new) buy cost, so a price rise does not turn the next Save into an error."""
        typed = typed or {}
        values = {"purchase_key": new_purchase_key(
            buyer_id=self.account.pk, did_id=did.pk, setup_fee=price.setup_fee, price=price.price)}
        for name, floor in (("sell_setup_fee", price.setup_fee), ("sell_price", price.price)):
            value = typed.get(name)
            values[name] = fmt(max(value, floor) if value is not None else floor)
        return values

    def _not_for_sale(self, request, did_pk):
        """A DID this buyer cannot buy now. Its seller's number that just sold, or that cannot be sold
        at the moment: say so (a page, or Buy DIDs with the reason); anything else a plain 404 that
        tells nothing about another account's numbers."""
        reason = why_not_for_sale(self.account, did_pk)
        if reason:
            messages.error(request, reason)
            return redirect("resellers:buy")
        gone = why_gone(self.account, did_pk)
        if gone is None:
            raise Http404("This DID is not for sale to you.")
        # Still a 404 (nothing to buy here), but one that says why.
        return self.render_to_response(self.get_context_data(sold=gone), status=404)

    def get(self, request, did_pk):
        did, price = self._offer(did_pk)
        if did is None:
            return self._not_for_sale(request, did_pk)
        form = PurchaseForm(initial=self._fresh_values(did, price), is_reseller=self.account.is_reseller)
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
            return self._refused(request, did_pk, form, str(refusal))
        if result.repeated:
            messages.info(request, f"DID {did.shown} was already purchased by this request; charged once.")
        else:
            messages.success(request, f"DID {did.shown} purchased. Charged {fmt_page(result.charged)} USD.")
        return redirect("resellers:dids")

    def _refused(self, request, did_pk, form, reason):
        """The page again, read afresh: the price now and a new key (the old one is bound to the old
        price, so every Save with it would be refused again), or why the DID is gone."""
        did, price = self._offer(did_pk)
        if did is None:
            form.add_error(None, reason)
            gone = why_gone(self.account, did_pk)
            if gone is not None:
                return self.render_to_response(self.get_context_data(sold=gone, form=form), status=409)
            did = get_object_or_404(DID, pk=did_pk)
            return self.render_to_response(self.get_context_data(
                did=did, price=price_for(did, seller_holding(self.account, did.pk), self.account.pk), form=form),
                status=409)
        values = self._fresh_values(did, price, form.cleaned_data if self.account.is_reseller else None)
        fresh = PurchaseForm(values, buy_price=price, is_reseller=self.account.is_reseller)
        fresh.is_valid()  # valid by construction: the refusal is its only error
        fresh.add_error(None, reason)
        return self.render_to_response(self.get_context_data(did=did, price=price, form=fresh, fresh_key=True),
                                       status=409)


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
