"""Buying a DID: DESIGN.md section 3.4, all in one transaction or nothing.

Lock order (the same everywhere, so concurrent purchases, releases and
renewals cannot deadlock):
  1. the DID row;
  2. the seller's subscription on it (when the seller is a reseller);
  3. the accounts involved, by ascending id (billing.ledger.posting.lock_accounts).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Account, acting_user
from audit.record import record
from billing.ledger.posting import lock_accounts, post
from billing.models import LedgerEntry, Subscription
from dids.models import DIDHistory
from billing.subscriptions.holdings import unsold_holdings
from billing.prices.lookups import price_for
from billing.prices.resolve import Price
from core.money import fmt, money, quantize
from dids.models import DID
from core.locking import lock_did, lock_holding


# The constraints that mean "someone else holds it now" (PostgreSQL names them; SQLite names the columns).
_ONE_HOLDER_CONSTRAINTS = ("sub_one_top_holder_per_did", "sub_one_buyer_per_seller", "billing_subscription.did_id",
                           "billing_subscription.parent_id")


class PurchaseRefused(Exception):
    """The purchase was refused; nothing changed. The message is for the buyer."""


@dataclass(frozen=True)
class PurchaseResult:
    subscription: Subscription
    charged: Decimal
    repeated: bool  # True when this request had already been carried out


def purchase_did(
    *,
    buyer_id: int,
    did_id: int,
    purchase_key: str,
    by=None,
    sell_setup_fee: Decimal | None = None,
    sell_price: Decimal | None = None,
    expected: tuple[Decimal, Decimal] | None = None,
    now=None,
) -> PurchaseResult:
    """Charge the buyer Setup Fee + Price, make it the DID's holder, start its subscription.

    ``purchase_key`` identifies the request (one per Purchase page view): a
    double submit or retry returns the first result instead of charging again.
    ``expected`` is the (setup fee, price) the buyer saw; if the seller changed it since,
    the purchase is refused rather than charging a different amount.
    """
    if not purchase_key or len(purchase_key) > 64:
        raise PurchaseRefused("This purchase form has expired. Open Buy DIDs and try again.")
    try:
        with transaction.atomic():
            return _purchase(buyer_id, did_id, purchase_key, by, sell_setup_fee, sell_price, expected, now)
    except IntegrityError as exc:
        # A concurrent request with the same key won the race: report its result.
        done = Subscription.objects.filter(purchase_key=purchase_key).first()
        if done is not None:
            return _repeat(done, buyer_id)
        if any(name in str(exc) for name in _ONE_HOLDER_CONSTRAINTS):
            raise PurchaseRefused("This DID was just bought by someone else.") from exc
        raise  # a ledger or other invariant broke: never dress that up as a refusal


def _repeat(done: Subscription, buyer_id: int) -> PurchaseResult:
    if done.account_id != buyer_id:
        raise PurchaseRefused("This purchase form has expired. Open Buy DIDs and try again.")
    # What this purchase charged, from its own entries: the subscription's price
    # snapshot moves on at each renewal.
    keys = [f"{done.purchase_key}:setup", f"{done.purchase_key}:price"]
    charged = LedgerEntry.objects.filter(idempotency_key__in=keys).aggregate(total=Sum("amount"))["total"] or 0
    return PurchaseResult(done, quantize(-charged), repeated=True)


def _purchase(buyer_id, did_id, purchase_key, by, sell_setup_fee, sell_price, expected, now) -> PurchaseResult:
    now = now or timezone.now()
    did = lock_did(DID.objects.filter(pk=did_id))  # core/locking.py: the DID, the seller's holding, accounts
    if did is None:
        raise PurchaseRefused("This DID does not exist.")

    done = Subscription.objects.filter(purchase_key=purchase_key).first()
    if done is not None:
        return _repeat(done, buyer_id)

    buyer = Account.objects.get(pk=buyer_id)
    seller_sub = None
    if buyer.parent_id is not None:
        seller_sub = lock_holding(unsold_holdings(buyer.parent_id).filter(did=did))
    accounts = lock_accounts([buyer.pk] + ([buyer.parent_id] if seller_sub else []))
    buyer = accounts[buyer.pk]

    _refuse_unless_buyable(did, buyer, seller_sub)
    price = price_for(did, seller_sub, buyer.pk)
    if expected is not None and tuple(quantize(v) for v in expected) != (price.setup_fee, price.price):
        raise PurchaseRefused(
            f"The price of DID {did.digits} changed a moment ago: it is now "
            f"{fmt(price.setup_fee)} setup + {fmt(price.price)} per period. Review it and try again."
        )
    charge = price.total_now
    available = quantize(buyer.balance.amount + buyer.credit_limit.amount)
    if charge > available:
        raise PurchaseRefused(
            f"Insufficient funds: DID {did.digits} needs {fmt(charge)} {buyer.balance.currency} "
            f"(setup {fmt(price.setup_fee)} + price {fmt(price.price)}), you have {fmt(available)} available "
            f"(balance {fmt(buyer.balance.amount)} + credit limit {fmt(buyer.credit_limit.amount)})."
        )

    period_end = now + timedelta(days=price.billing_days)
    sell_setup = quantize(price.setup_fee if sell_setup_fee is None else sell_setup_fee)
    sell_period = quantize(price.price if sell_price is None else sell_price)
    if sell_setup < 0 or sell_period < 0:
        raise PurchaseRefused("A sell cost cannot be negative.")

    subscription = Subscription.objects.create(
        did=did, account=buyer, parent=seller_sub, setup_fee=money(price.setup_fee), price=money(price.price),
        billing_type=price.billing_type, billing_days=price.billing_days, period_start=now, period_end=period_end,
        sell_setup_fee=money(sell_setup), sell_price=money(sell_period), purchase_key=purchase_key, started_at=now,
    )
    balance_before = buyer.balance
    _charge(buyer, accounts.get(buyer.parent_id) if seller_sub else None, did, subscription, price, by, purchase_key)
    if seller_sub is None:
        DID.objects.filter(pk=did.pk).update(holder=buyer)
    DIDHistory.objects.create(
        did=did, account=buyer, action=DIDHistory.Action.PURCHASED, setup_fee=money(price.setup_fee),
        price=money(price.price), actor=acting_user(by),
        description=f"Bought by {buyer} from {buyer.parent or 'the operator'} for {fmt(charge)}",
    )
    record("subscription.purchased", did=did, account=buyer, obj=subscription, by=by,
           summary=f"DID {did.digits} bought by {buyer} from {buyer.parent or 'the operator'} for {fmt(charge)} "
                   f"(setup {fmt(price.setup_fee)} + price {fmt(price.price)} per {price.billing_days} days)",
           changes={"holder": (None, f"{buyer.name} ({buyer.number})"), "balance": (balance_before, buyer.balance),
                    "setup_fee": (None, price.setup_fee), "price": (None, price.price),
                    "sell_setup_fee": (None, sell_setup), "sell_price": (None, sell_period)})
    return PurchaseResult(subscription, charge, repeated=False)


def _refuse_unless_buyable(did: DID, buyer: Account, seller_sub) -> None:
    if not buyer.is_active:
        raise PurchaseRefused("Your account is suspended and cannot buy DIDs.")
    if not did.is_active:
        raise PurchaseRefused(f"DID {did.digits} is inactive and not for sale.")
    if buyer.parent_id is None:
        if did.holder_id == buyer.pk:
            raise PurchaseRefused(f"You already hold DID {did.digits}.")
        if did.holder_id is not None:
            raise PurchaseRefused(f"DID {did.digits} was just bought by someone else.")
        return
    if seller_sub is None:
        if Subscription.objects.filter(did=did, account=buyer, status=Subscription.Status.ACTIVE).exists():
            raise PurchaseRefused(f"You already hold DID {did.digits}.")
        if Subscription.objects.filter(
            did=did, account_id=buyer.parent_id, status=Subscription.Status.ACTIVE
        ).exists():
            raise PurchaseRefused(f"DID {did.digits} was just bought by someone else.")
        raise PurchaseRefused(f"DID {did.digits} is not in your seller's pool.")


def _charge(buyer, seller, did, subscription, price: Price, by, key) -> None:
    """Debit the buyer (setup fee, first period); credit the seller when it is a reseller.
    The first period is always charged, even at 0, so every period has its one charge."""
    who = f"from {seller}" if seller else "from the operator"
    start, end = subscription.period_start, subscription.period_end
    if price.setup_fee:
        post(account=buyer, amount=-price.setup_fee, kind=LedgerEntry.Kind.SETUP_FEE, by=by, did=did,
             subscription=subscription, description=f"Setup fee for DID {did.digits} {who}",
             idempotency_key=f"{key}:setup")
    post(account=buyer, amount=-price.price, kind=LedgerEntry.Kind.DID_PRICE, by=by, did=did,
         subscription=subscription, period_start=start, period_end=end, idempotency_key=f"{key}:price",
         description=f"DID {did.digits} first period at {fmt(price.price)} per {price.billing_days} days {who}")
    if seller is not None and price.total_now:
        post(account=seller, amount=price.total_now, kind=LedgerEntry.Kind.SALE, by=by, did=did,
             subscription=subscription, period_start=start, period_end=end, idempotency_key=f"{key}:sale",
             description=f"Sold DID {did.digits} to {buyer} (setup {fmt(price.setup_fee)} + price {fmt(price.price)})")
