"""The rows of Buy DIDs as display values: names, amounts and the Purchase link are
worked out here once per row so the template only prints them (a template lookup,
filter or ``{% url %}`` per cell cost the page more than its SQL). The HTML is the
template's; this decides what goes in it."""

from typing import TypedDict

from core.money import fmt
from core.pk_urls import pk_url
from dids.country_names import CountryNames
from dids.models import DID

BILLING_TYPES = dict(DID.BillingType.choices)


class OfferRow(TypedDict):
    """One Buy DIDs row, a plain dict of text for the reasons given on dids.list_rows.DIDRow."""

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
