"""The one wording of a price change, in a DID's history and in the audit trail:

    Sell cost of the operator for all its buyers (bulk change): setup 1.0000 → 2.0000, price 2.0000 → 2.0000

written by every door that changes a price (Edit Info, SELL COST, Create/Edit Product, the DID
list's bulk "Change prices"). A single change is worded in Python; a bulk change in SQL, one row
per DID, from the same pieces.
"""

from django.db.models import CharField, Value
from django.db.models.functions import Concat

from core.money import fmt

OLD_SETUP, SETUP, OLD_PRICE, PRICE = object(), object(), object(), object()
CHANGE = ("setup ", OLD_SETUP, " → ", SETUP, ", price ", OLD_PRICE, " → ", PRICE)


def head(seller, buyer, via: str = "") -> str:
    """'Sell cost of the operator for all its buyers (via): '. ``via``: the door, when not Edit Info."""
    whose = f"of {seller}" if seller else "of the operator"
    target = f"for {buyer}" if buyer else "for all its buyers"
    return f"Sell cost {whose} {target}{f' ({via})' if via else ''}: "


def price_change_wording(seller, buyer, old, setup_fee, price, *, via: str = "", what: str = "") -> str:
    """The wording of one change; ``old`` has setup_fee and price. ``what`` replaces the
    setup/price part (e.g. 'override removed')."""
    values = {OLD_SETUP: fmt(old.setup_fee), SETUP: fmt(setup_fee), OLD_PRICE: fmt(old.price), PRICE: fmt(price)}
    return head(seller, buyer, via) + (what or "".join(values.get(piece, piece) for piece in CHANGE))


def operator_price_change_sql(*, via: str, old_setup, setup, old_price, price) -> Concat:
    """The same words for the operator's default price, computed per DID in SQL: each value is a
    text expression (the amount as 1.0000)."""
    values = {OLD_SETUP: old_setup, SETUP: setup, OLD_PRICE: old_price, PRICE: price}
    pieces = [values.get(piece) or Value(piece) for piece in CHANGE]
    return Concat(Value(head(None, None, via)), *pieces, output_field=CharField())
