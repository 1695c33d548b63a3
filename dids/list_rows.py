"""The rows of the admin's DID list as display values: text, amounts and links are
worked out here once per row so the template only prints them (each template
lookup, filter and ``{% url %}`` of a row costs about as much as the page's SQL
at 25 rows). The HTML is the template's; this decides what goes in it."""

from typing import TypedDict

from core.money import fmt_page
from core.pk_urls import pk_url
from dids.country_names import CountryNames
from dids.models import DID

BILLING_TYPES = dict(DID.BillingType.choices)
STATUSES = dict(DID.Status.choices)


class DIDRow(TypedDict):
    """A plain dict: the template engine finds a dict's keys first (an object's attributes only
    after a failed ``row[name]``); numbers as text, which the template prints without localizing
    them (together, a page's rows render in about half the time)."""

    pk: str
    shown: str  # the number as people read it: +1 855-580-1802
    country: str
    city: str
    province: str
    provider: str
    buy_cost: str
    setup_fee: str
    monthly_fee: str
    billing_type: str
    billing_days: str
    status: str
    status_badge: str  # the badge's colour class
    held: bool
    holder: str  # the holder's name ("" when unsold)
    suspended: bool  # held, a renewal unpaid (in its grace period)
    edit_url: str
    edit_info_url: str
    action_url: str  # a sold DID's Release (admin_release), an unsold one's Delete


def did_list_rows(dids, suspended: set[int]) -> list[DIDRow]:
    """One row per DID (``provider`` and ``holder`` selected with it); ``suspended``: the pks
    whose holder is in its grace period."""
    edit, edit_info = pk_url("dids:edit"), pk_url("billing:edit_info")
    release, delete = pk_url("admin_release"), pk_url("dids:delete")
    countries = CountryNames()
    rows = []
    for did in dids:
        holder = did.holder
        rows.append(DIDRow(
            pk=str(did.pk),
            shown=did.shown,
            country=countries.of(did.country),
            city=did.city,
            province=did.province,
            provider=did.provider.name,
            buy_cost=fmt_page(did.buy_cost),
            setup_fee=fmt_page(did.setup_fee),
            monthly_fee=fmt_page(did.monthly_fee),
            billing_type=str(BILLING_TYPES.get(did.billing_type, did.billing_type)),
            billing_days=str(did.billing_days),
            status=str(STATUSES.get(did.status, did.status)),
            status_badge="text-bg-success" if did.is_active else "text-bg-secondary",
            held=holder is not None,
            holder=holder.name if holder is not None else "",
            suspended=holder is not None and did.pk in suspended,
            edit_url=edit(did.pk),
            edit_info_url=edit_info(did.pk),
            action_url=release(did.pk) if holder is not None else delete(did.pk),
        ))
    return rows
