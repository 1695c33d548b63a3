"""The rows of Buy DIDs as display values: names, amounts and the Purchase link are
worked out here once per row so the template only prints them (a template lookup,
filter or ``{% url %}`` per cell cost the page more than its SQL). The HTML is the
template's; this decides what goes in it."""

from typing import TypedDict

from django.db.models import DecimalField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from billing.models import PriceOverride, Subscription
from billing.subscriptions.pool import pool_countries
from core.money import fmt
from core.pk_urls import pk_url
from dids.country_names import CountryNames
from dids.filters import number_contains, prefix_range
from dids.models import DID
from dids.numbers import country_name

BILLING_TYPES = dict(DID.BillingType.choices)


class OfferRow(TypedDict):
    """One Buy DIDs row, a plain dict of text for the reasons given on dids.list_rows.DIDRow."""

    pk: int  # the checkbox's value (Buy several)
    digits: str
    country: str
    city: str
    province: str
    setup_fee: str  # what this account would pay (billing.prices.resolve), as the portal shows money
    price: str
    billing_type: str
    billing_days: str
    purchase_url: str


def offer_rows(dids, offers: dict) -> list[OfferRow]:
    """One row per DID; ``offers``: {did pk: Price} from ``billing.prices.lookups.prices_for``."""
    purchase = pk_url("resellers:purchase")
    countries = CountryNames()
    return [
        OfferRow(
            pk=did.pk,
            digits=did.digits,
            country=countries.of(did.country),
            city=did.city,
            province=did.province,
            setup_fee=fmt(offers[did.pk].setup_fee),
            price=fmt(offers[did.pk].price),
            billing_type=str(BILLING_TYPES.get(did.billing_type, did.billing_type)),
            billing_days=str(did.billing_days),
            purchase_url=purchase(did.pk),
        )
        for did in dids
    ]


def with_buyer_prices(pool, account):
    """The pool with ``buy_setup_fee`` and ``buy_price``: what ``account`` would pay, in SQL so Buy DIDs
    can filter and sort by it. The rule of billing/prices/resolve.py (override, else the seller's
    default), written as a query; tests/resellers/test_buy_dids_search.py checks the two agree."""
    if account.parent_id is None:  # the operator sells: its override for the buyer, else the product's
        overrides = PriceOverride.objects.filter(did=OuterRef("pk"), buyer=account, seller_subscription__isnull=True)
        defaults = {"setup_fee": F("setup_fee"), "price": F("monthly_fee")}
    else:  # a reseller sells: its override on its holding, else the holding's SELL COST
        holding = Subscription.objects.filter(did=OuterRef("pk"), account_id=account.parent_id,
                                              status=Subscription.Status.ACTIVE)
        overrides = PriceOverride.objects.filter(
            did=OuterRef("pk"), buyer=account, seller_subscription__account_id=account.parent_id,
            seller_subscription__status=Subscription.Status.ACTIVE)
        defaults = {"setup_fee": Subquery(holding.values("sell_setup_fee")[:1]),
                    "price": Subquery(holding.values("sell_price")[:1])}
    amount = DecimalField(max_digits=14, decimal_places=4)
    return pool.annotate(
        buy_setup_fee=Coalesce(Subquery(overrides.values("setup_fee")[:1]), defaults["setup_fee"], output_field=amount),
        buy_price=Coalesce(Subquery(overrides.values("price")[:1]), defaults["price"], output_field=amount),
    )


def country_choices(account) -> list[tuple[str, str]]:
    """(code, name) of the countries in ``account``'s pool, by name, for Buy DIDs' dropdown (one query,
    billing.subscriptions.pool.pool_countries)."""
    return sorted(((code, country_name(code)) for code in pool_countries(account)), key=lambda pair: pair[1])


def search_pool(pool, filters: dict):
    """The pool narrowed by BuyDIDsSearchForm.filters() (only fields typed correctly)."""
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
