"""Setting sell costs: a seller's default and its per-buyer overrides (DESIGN.md section 4).

A seller is the operator (``seller_id`` None) or a reseller holding the DID.
Its *default* sell cost is, for the operator, the DID product's Setup Fee and
MonthlyFee, and for a reseller the SELL COST on its subscription. An *override*
is its sell cost for one buyer directly below it.

Rules kept here, not in views:
  - a reseller cannot sell below its own buy cost; the operator (the admin,
    for itself or on behalf of any reseller) may, once it has seen the warning;
  - every change writes a DIDHistory row with who, when, old and new values;
  - running subscriptions keep their snapshot: nothing here touches what a
    buyer already pays; the new price applies from its next renewal;
  - the account holding the DID from this seller whose next renewal the change
    moves (a recurring holding at that price: the buyer of an override, or a buyer
    without one when the default changes) is told old -> new and from when
    (notices.services; bulk changes: billing/prices/bulk.py).

Lock order is the purchase's (billing/subscriptions/purchase.py): the DID row, then the
seller's subscription, so a price change and a purchase of the same DID
serialise, and the purchase's price check sees either the old or the new price.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, acting_user
from audit.record import changed, record
from billing.models import PriceOverride, Subscription
from dids.models import DIDHistory
from billing.prices.lookups import find_override
from billing.subscriptions.holdings import locked_holding
from core.locking import lock_did
from billing.prices.resolve import Price, resolve
from billing.prices.wording import price_change_wording
from core.money import fmt_page, money, quantize
from dids.models import DID
from dids.services import did_save
from notices.models import Notice
from notices.services import notify
from webhooks.models import EventType
from webhooks.outbox import emit


class PriceRefused(Exception):
    """The change was refused; nothing was saved. ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class BelowCost(PriceRefused):
    """The sell cost is below the seller's buy cost: refused for a reseller, a warning for the admin."""


@dataclass(frozen=True)
class SellCost:
    """One seller's sell cost for one buyer (or for all of them)."""

    price: Price
    overridden: bool  # True when an override for this buyer sets it
    floor: tuple[Decimal, Decimal]  # the seller's own cost: (setup fee, price) it must not go below


def cost_floor(did: DID, seller_sub: Subscription | None) -> tuple[Decimal, Decimal]:
    """What the seller pays for the DID: a reseller its BUY COST snapshot; the
    operator the provider's Buy Cost per period (and no setup fee)."""
    if seller_sub is None:
        return Decimal("0.0000"), quantize(did.buy_cost.amount)
    return quantize(seller_sub.setup_fee.amount), quantize(seller_sub.price.amount)


def current_sell_cost(did: DID, seller_sub: Subscription | None, buyer_id: int | None) -> SellCost:
    override = find_override(did.pk, seller_sub, buyer_id)
    price = resolve(did, seller_sub, override)
    return SellCost(price, override is not None, cost_floor(did, seller_sub))


def buyers_of(seller_id: int | None):
    """The accounts a seller sells to: its direct children (the operator's: top-level accounts)."""
    return Account.objects.filter(parent_id=seller_id).order_by("name", "pk")


def set_sell_cost(
    *,
    did_id: int,
    seller_id: int | None,
    buyer_id: int | None,
    setup_fee: Decimal,
    price: Decimal,
    by,
    allow_below_cost: bool = False,
) -> bool:
    """Set the seller's sell cost for ``buyer_id`` (None = its default for all buyers).
    Returns False when nothing changed. ``allow_below_cost`` is honoured for the admin only."""
    with transaction.atomic():
        did, seller_sub, buyer = lock_price_rows(did_id, seller_id, buyer_id)
        return write_sell_cost(did, seller_sub, buyer, setup_fee=setup_fee, price=price, by=by,
                               allow_below_cost=allow_below_cost)


def write_sell_cost(did, seller_sub, buyer, *, setup_fee, price, by, allow_below_cost: bool = False) -> bool:
    """``set_sell_cost`` on rows the caller has locked (``lock_price_rows``), in its transaction."""
    setup_fee, price = quantize(setup_fee), quantize(price)
    if setup_fee < 0 or price < 0:
        raise PriceRefused("A sell cost cannot be negative.", field="sell_price" if price < 0 else "sell_setup_fee")
    buyer_id = buyer.pk if buyer is not None else None
    before = current_sell_cost(did, seller_sub, buyer_id)
    field = below_cost(setup_fee, price, before.floor)
    if field and not (allow_below_cost and getattr(by, "is_portal_admin", False)):
        raise BelowCost(_below_cost_message(seller_sub, *before.floor), field=field)
    if (setup_fee, price) == (before.price.setup_fee, before.price.price) and (buyer_id is None or before.overridden):
        return False
    _write(did, seller_sub, buyer, setup_fee, price, by)
    _record(did, seller_sub, buyer, before.price, setup_fee, price, by)
    _tell_holder(did, seller_sub, buyer, before.price.price, price)
    return True


def clear_override(*, did_id: int, seller_id: int | None, buyer_id: int, by) -> bool:
    """Remove the seller's override for one buyer: it pays the default sell cost again."""
    with transaction.atomic():
        did, seller_sub, buyer = lock_price_rows(did_id, seller_id, buyer_id)
        override = find_override(did.pk, seller_sub, buyer.pk)
        if override is None:
            return False
        old = resolve(did, seller_sub, override)
        override.delete()
        new = resolve(did, seller_sub)
        _record(did, seller_sub, buyer, old, new.setup_fee, new.price, by, what="back to the default sell cost")
        _tell_holder(did, seller_sub, buyer, old.price, new.price)
    return True


# A "Sell to" account that is not one of the seller's own buyers (the API's ``buyer`` too).
NOT_A_BUYER = "Choose an account that buys from this seller."


def lock_price_rows(did_id, seller_id, buyer_id):
    """The rows a price change writes, locked in core/locking.py's order: the DID, then the
    seller's holding (None: the operator's price); and the buyer of an override (not locked:
    an override row is the seller's)."""
    did = lock_did(DID.objects.filter(pk=did_id))
    if did is None:
        raise PriceRefused("This DID does not exist.")
    seller_sub = None
    if seller_id is not None:
        seller_sub = locked_holding(did.pk, seller_id)
        if seller_sub is None:
            raise PriceRefused(f"DID {did.shown} is not held by this account, so it has no sell cost to set.")
    buyer = None
    if buyer_id is not None:
        buyer = Account.objects.filter(pk=buyer_id, parent_id=seller_id).first()
        if buyer is None:
            raise PriceRefused(NOT_A_BUYER, field="buyer")
    return did, seller_sub, buyer


def _write(did, seller_sub, buyer, setup_fee, price, by) -> None:
    if buyer is not None:
        PriceOverride.objects.update_or_create(
            did=did, seller_subscription=seller_sub, buyer=buyer,
            defaults=dict(setup_fee=money(setup_fee), price=money(price), updated_by=acting_user(by)),
        )
    elif seller_sub is None:
        DID.objects.filter(pk=did.pk).update(setup_fee=money(setup_fee), monthly_fee=money(price),
                                             updated_at=timezone.now())
    else:
        Subscription.objects.filter(pk=seller_sub.pk).update(sell_setup_fee=money(setup_fee), sell_price=money(price))


def below_cost(setup_fee, price, floor: tuple[Decimal, Decimal]) -> str | None:
    """The one below-cost rule: the field ("sell_setup_fee" or "sell_price") below the seller's
    own cost (cost_floor), or None. A reseller is refused; the admin may go below after a warning.
    (For the operator's product prices in bulk, operator_below_cost is this rule in SQL.)"""
    floor_setup, floor_price = floor
    if price < floor_price:
        return "sell_price"
    if setup_fee < floor_setup:
        return "sell_setup_fee"
    return None


def operator_below_cost() -> Q:
    """below_cost for the operator's own price of each DID, in SQL (its cost_floor: no setup fee,
    the provider's Buy Cost per period): a MonthlyFee below the Buy Cost."""
    return Q(monthly_fee__lt=F("buy_cost"))


def save_product(*, did: DID, by) -> str | None:
    """Create Product and Edit Product: the product's fields through the catalogue
    (dids.services.did_save), and a changed Setup Fee or MonthlyFee, the operator's default sell
    cost, recorded as every price change is, in the one wording. Returns the below-cost warning
    (the admin may sell below the provider's Buy Cost, warned), or None."""
    with transaction.atomic():
        stored = lock_did(DID.objects.filter(pk=did.pk), key_change=True) if did.pk else None
        before = resolve(stored) if stored is not None else None
        did_save(did=did, by=by, locked=stored)  # the catalogue audits the product's fields, prices included
        after = resolve(did)
        if before is not None and (before.setup_fee, before.price) != (after.setup_fee, after.price):
            _record(did, None, None, before, after.setup_fee, after.price, by, via="product Edit", audit=False)
            _tell_holder(did, None, None, before.price, after.price)
    floor = cost_floor(did, None)
    if below_cost(after.setup_fee, after.price, floor):
        return _below_cost_message(None, *floor) + " Saved: the operator may sell below cost."
    return None


def _record(did, seller_sub, buyer, old: Price, setup_fee, price, by, what: str = "", via: str = "",
            audit: bool = True) -> None:
    seller = seller_sub.account if seller_sub else None
    wording = price_change_wording(seller, buyer, old, setup_fee, price, via=via, what=what)
    DIDHistory.objects.create(
        did=did, account=seller, for_account=buyer, action=DIDHistory.Action.PRICE_CHANGED,
        old_setup_fee=money(old.setup_fee), old_price=money(old.price),
        setup_fee=money(setup_fee), price=money(price), actor=acting_user(by), description=wording[:255],
    )
    if audit:  # the account whose price book it is; for the operator's price for one buyer, that buyer
        record("price.changed", did=did, account=seller or buyer, by=by, summary=f"DID {did.shown}: {wording[0].lower()}{wording[1:]}",
               changes=changed({"setup_fee": old.setup_fee, "price": old.price}, {"setup_fee": setup_fee, "price": price}))


def holdings_paying(did, seller_sub, buyer=None):
    """The active recurring holdings of ``did`` bought from this seller (``seller_sub`` None: the
    operator) that renew at its price for ``buyer`` (None: at its default, i.e. without an override
    of their own). One at most: a seller sells a DID to one account at a time."""
    holdings = Subscription.objects.filter(did=did, parent=seller_sub, status=Subscription.Status.ACTIVE,
                                           billing_type=DID.BillingType.RECURRING)
    if buyer is not None:
        return holdings.filter(account=buyer)
    return holdings.exclude(Exists(PriceOverride.objects.filter(did=did, seller_subscription=seller_sub,
                                                                 buyer=OuterRef("account"))))


# The notice to a holder whose next renewal a price change moves: here for one holder, in SQL for
# a bulk change (billing/prices/bulk.py fills the same words per row).
PRICE_NOTICE_SUBJECT = "DID {number}: new price from {seller}"
PRICE_NOTICE_BODY = ("{Seller} changed your price for DID {number} from {old} to {new} USD per {days} days. "
                     "It applies from your next renewal, on {renews}.")


def _tell_holder(did, seller_sub, buyer, old_price: Decimal, new_price: Decimal) -> None:
    """Tell the account whose next renewal this change moves (notices): old -> new, and when."""
    if quantize(old_price) == quantize(new_price):
        return  # a setup fee only: it is never charged again to a holder
    holding = holdings_paying(did, seller_sub, buyer).select_related("account").first()
    if holding is None:
        return
    seller = seller_sub.account.name if seller_sub else "the operator"
    words = dict(number=did.shown, seller=seller, Seller=seller[:1].upper() + seller[1:], old=fmt_page(old_price),
                 new=fmt_page(new_price), days=holding.billing_days,
                 renews=f"{timezone.localtime(holding.period_end):%Y-%m-%d}")
    notify(holding.account, Notice.Kind.PRICE_CHANGED, subject=PRICE_NOTICE_SUBJECT.format(**words),
           body=PRICE_NOTICE_BODY.format(**words), link=reverse("billing:my_edit_info", args=[did.pk]))
    emit(EventType.PRICE_CHANGED, holding.account_id, {  # the same holder's webhooks (bulk: bulk.py)
        "number": did.number, "seller": seller_sub.account.number if seller_sub else None,
        "old_price": old_price, "new_price": new_price, "billing_days": holding.billing_days,
        "applies_from": holding.period_end})


def _below_cost_message(seller_sub, floor_setup, floor_price) -> str:
    if seller_sub is None:
        return f"Below cost: the provider charges {fmt_page(floor_price)} per period for this DID."
    return (f"A sell cost cannot be below the buy cost (setup fee {fmt_page(floor_setup)}, "
            f"price {fmt_page(floor_price)}).")
