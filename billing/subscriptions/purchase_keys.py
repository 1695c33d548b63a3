"""Purchase keys: one per Purchase page view, signed and bound to the buyer, the
DID and the price the page showed.

A re-post of the same page reuses the key, so it never charges twice; a key made
for another buyer or DID does not verify, so an account cannot post a purchase
for a DID it was never shown; and the signed price lets the purchase refuse
(rather than charge a different amount) if the seller changed it meanwhile.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core import signing

_SALT = "billing.subscriptions.purchase-key"
MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class PurchaseTicket:
    key: str  # the unique part, stored on the subscription
    setup_fee: Decimal  # the price the page showed
    price: Decimal


def new_purchase_key(*, buyer_id: int, did_id: int, setup_fee: Decimal, price: Decimal) -> str:
    payload = [buyer_id, did_id, uuid.uuid4().hex, str(setup_fee), str(price)]
    return signing.dumps(payload, salt=_SALT, compress=True)


def verify_purchase_key(signed: str, *, buyer_id: int, did_id: int) -> PurchaseTicket | None:
    """The ticket when the key is valid for this buyer and DID, else None."""
    try:
        owner, did, unique, setup_fee, price = signing.loads(signed or "", salt=_SALT, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if owner != buyer_id or did != did_id:
        return None
    return PurchaseTicket(unique, Decimal(setup_fee), Decimal(price))


@dataclass(frozen=True)
class ManyTicket:
    key: str  # the unique part: each DID's subscription gets "<key>:<did id>"
    expected: dict  # {did id: (setup fee, price)} as the confirmation page showed them


def new_many_key(*, buyer_id: int, prices: dict) -> str:
    """One key per Buy several confirmation page: the buyer, and every DID with the price shown."""
    payload = [buyer_id, uuid.uuid4().hex, [[did_id, str(p.setup_fee), str(p.price)] for did_id, p in prices.items()]]
    return signing.dumps(payload, salt=_SALT + "-many", compress=True)


def verify_many_key(signed: str, *, buyer_id: int) -> ManyTicket | None:
    """The ticket when the key is valid for this buyer, else None."""
    try:
        owner, unique, rows = signing.loads(signed or "", salt=_SALT + "-many", max_age=MAX_AGE)
        expected = {int(did_id): (Decimal(setup_fee), Decimal(price)) for did_id, setup_fee, price in rows}
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return ManyTicket(unique, expected) if owner == buyer_id else None
