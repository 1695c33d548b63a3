"""What an account may buy and at what price, as a query: its seller's pool (pool.py) with the
price this account would pay worked out in SQL, narrowed by a search. The one place of that
query for Buy DIDs, Buy several (resellers/) and the API's available DIDs and purchases (api/):
the page and the API list the same numbers at the same prices."""

from django.db.models import DecimalField, ExpressionWrapper, F, FilteredRelation, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from billing.models import PriceOverride, Subscription
from billing.subscriptions.pool import pool_for
from dids.filters import number_contains, prefix_range


def with_buyer_prices(pool, account):
    """The pool with ``buy_setup_fee`` and ``buy_price``: what ``account`` would pay, in SQL so Buy DIDs
    can filter and sort by it. The rule of billing/prices/resolve.py (override, else the seller's
    default), written as a query; tests/resellers/test_buy_dids_search.py checks the two agree."""
    amount = DecimalField(max_digits=14, decimal_places=4)
    if account.parent_id is None:  # the operator sells: its override for the buyer, else the product's
        mine = PriceOverride.objects.filter(buyer=account, seller_subscription__isnull=True)
        if not mine.exists():
            # No override at all (the common case, one probe of override_buyer_did): the product's fees
            # as plain columns, so a sort by price reads the pool's (fee, number) indexes (did_pool_price,
            # did_pool_setup_fee) instead of working out and sorting the whole pool (docs/decisions.md).
            return pool.annotate(buy_setup_fee=ExpressionWrapper(F("setup_fee"), output_field=amount),
                                 buy_price=ExpressionWrapper(F("monthly_fee"), output_field=amount))
        overrides = mine.filter(did=OuterRef("pk"))
        defaults = {"setup_fee": F("setup_fee"), "price": F("monthly_fee")}
    else:  # a reseller sells: its override on its holding, else the holding's SELL COST
        mine = PriceOverride.objects.filter(buyer=account, seller_subscription__account_id=account.parent_id,
                                            seller_subscription__status=Subscription.Status.ACTIVE)
        if not mine.exists():
            # No override from this seller: the SELL COST of the seller's holding (one per DID: a chain has
            # each account once), read by a join instead of two subqueries per DID of the pool.
            pool = pool.annotate(seller_holding=FilteredRelation("subscriptions", condition=Q(
                subscriptions__account_id=account.parent_id, subscriptions__status=Subscription.Status.ACTIVE)))
            return pool.annotate(
                buy_setup_fee=ExpressionWrapper(F("seller_holding__sell_setup_fee"), output_field=amount),
                buy_price=ExpressionWrapper(F("seller_holding__sell_price"), output_field=amount))
        holding = Subscription.objects.filter(did=OuterRef("pk"), account_id=account.parent_id,
                                              status=Subscription.Status.ACTIVE)
        overrides = mine.filter(did=OuterRef("pk"))
        defaults = {"setup_fee": Subquery(holding.values("sell_setup_fee")[:1]),
                    "price": Subquery(holding.values("sell_price")[:1])}
    return pool.annotate(
        buy_setup_fee=Coalesce(Subquery(overrides.values("setup_fee")[:1]), defaults["setup_fee"], output_field=amount),
        buy_price=Coalesce(Subquery(overrides.values("price")[:1]), defaults["price"], output_field=amount),
    )


def search_pool(pool, filters: dict):
    """The pool narrowed by a search: {"country": code, "city", "province": text (contains),
    "prefix", "number": digits (starts with / contains), "min_price", "max_price": Decimal (what
    this buyer pays per period)}; only the keys present (Buy DIDs' BuyDIDsSearchForm.filters(),
    the API's query parameters)."""
    if "country" in filters:
        pool = pool.filter(country=filters["country"])
    if "city" in filters:
        pool = pool.filter(city__icontains=filters["city"])
    if "province" in filters:
        pool = pool.filter(province__icontains=filters["province"])
    if "prefix" in filters:
        pool = pool.filter(**prefix_range("+" + filters["prefix"]))
    if "number" in filters:
        pool = number_contains(pool, filters["number"])
    if "min_price" in filters:
        pool = pool.filter(buy_price__gte=filters["min_price"])
    if "max_price" in filters:
        pool = pool.filter(buy_price__lte=filters["max_price"])
    return pool


def offers(account, filters: dict | None = None):
    """The DIDs ``account`` may buy (its seller's pool, pool_for) at its prices (``buy_setup_fee``,
    ``buy_price``), narrowed by ``filters`` (search_pool)."""
    return search_pool(with_buyer_prices(pool_for(account), account), filters or {})
