"""The rows of Buy DIDs as display values: names, amounts and the Purchase link are
worked out here once per row so the template only prints them (a template lookup,
filter or ``{% url %}`` per cell cost the page more than its SQL). The HTML is the
template's; this decides what goes in it."""

from typing import TypedDict

from billing.subscriptions.pool import pool_countries
from core.money import fmt_page
from core.pk_urls import pk_url
from dids.country_names import CountryNames
from dids.models import DID
from dids.numbers import country_name

BILLING_TYPES = dict(DID.BillingType.choices)


class OfferRow(TypedDict):
    """One Buy DIDs row, a plain dict of text for the reasons given on dids.list_rows.DIDRow."""

    pk: int  # the checkbox's value (Buy several)
    shown: str  # the number as people read it: +1 855-580-1802
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
            shown=did.shown,
            country=countries.of(did.country),
            city=did.city,
            province=did.province,
            setup_fee=fmt_page(offers[did.pk].setup_fee),
            price=fmt_page(offers[did.pk].price),
            billing_type=str(BILLING_TYPES.get(did.billing_type, did.billing_type)),
            billing_days=str(did.billing_days),
            purchase_url=purchase(did.pk),
        )
        for did in dids
    ]


def buy_matching_label(page, cap: int) -> str:
    """The text of Buy DIDs' "Buy the numbers matching this search" button, with how many: the list's
    own count (core.listing: exact up to its limit, else PostgreSQL's estimate), so it costs no query."""
    if not page.estimated and page.total <= cap:
        return f"Buy the {page.total:,} number{'s' if page.total != 1 else ''} matching this search"
    return f"Buy the first {cap:,} (by number) of {page.total_text} matching this search"


def country_choices(account) -> list[tuple[str, str]]:
    """(code, name) of the countries in ``account``'s pool, by name, for Buy DIDs' dropdown (one query,
    billing.subscriptions.pool.pool_countries)."""
    return sorted(((code, country_name(code)) for code in pool_countries(account)), key=lambda pair: pair[1])
