"""Buying a DID: DESIGN.md section 3.4, all in one transaction or nothing.

Lock order (the same everywhere, so concurrent purchases, releases and
renewals cannot deadlock):
  1. the DID row;
  2. the seller's subscription on it (when the seller is a reseller);
  3. the accounts involved, by ascending id (core/locking.py).

Whether the seller may sell it (billing/subscriptions/sellable.py) is read from these rows: the
seller's status from its locked account row, the DID's chain in grace by the statement that locks
the seller's holding. That statement starts once the DID is locked, and the billing run puts a
holding in grace only with its DID locked, so it sees the run's latest commit (the DID's own lock
statement would not: its snapshot is taken before it waits for the run's lock, and the run does
not change the DID row). An account is suspended with its row locked, which the purchase locks too.

A purchase is the portal's busiest transaction (bench/purchase.py): its statements are
compiled once per process (core/prepared.py; core/locking.py's prepared_* locks), its rows
inserted without Django's per-call query compiler, and it runs eight statements between BEGIN
and COMMIT (tests/billing/test_purchase_statements.py lists them): lock the DID, lock the
accounts, insert the subscription, insert the ledger entries, update the balances, set the
DID's holder, insert the history line and the audit row (bought from a reseller: its holding
is locked, and the DID's holder stays).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone

from accounts.models import Account, acting_user
from audit.record import entry
from billing.ledger.posting import post_many
from billing.models import LedgerEntry, PriceOverride, Subscription
from billing.prices.resolve import Price, resolve
from billing.subscriptions.holdings import unsold_holdings
from billing.subscriptions.purchase_keys import MAX_AGE as PURCHASE_PAGE_AGE
from billing.subscriptions.sellable import chain_in_grace, refusal
from core.locking import prepared_account_lock, prepared_did_lock, prepared_holding_lock
from core.money import fmt, fmt_page, money, quantize
from core.prepared import insert, update
from dids.models import DID, DIDHistory
from dids.numbers import display
from webhooks.models import EventType
from webhooks.outbox import Draft, emit_many, hooked, operator_hooked

# The statements of a purchase, compiled once per process. The locks are lock_did, lock_holding
# and lock_accounts on these querysets (core/locking.py).
#
# The DID, with the buyer's parent: an account's parent never changes once it is made, so it can be
# read in any statement; it decides which holding to lock next.
_lock_did = prepared_did_lock(lambda did_id, buyer_id: DID.objects.filter(pk=did_id).annotate(
    buyer_parent_id=Subquery(Account.objects.filter(pk=buyer_id).order_by().values("parent_id")[:1])), 2)
# The parent's unsold holding of the DID (billing/subscriptions/holdings.py), with whether a link of the
# DID's chain is in grace (read here, not with the DID's lock: see above).
_lock_seller_holding = prepared_holding_lock(
    lambda parent_id, did_id: unsold_holdings(parent_id).filter(did_id=did_id)
    .annotate(chain_in_grace=chain_in_grace(OuterRef("did_id"))), 2)


def _override(field: str, did_id, buyer_id, **seller):
    """A field of the seller's override for the buyer (billing/prices/lookups.find_override; its
    constraints allow one per seller, buyer and DID: no ORDER BY to plan)."""
    return Subquery(PriceOverride.objects.filter(did_id=did_id, buyer_id=buyer_id, **seller)
                    .order_by().values(field)[:1])


# The accounts, with the seller's override for the buyer. Read in the statement that locks the
# accounts, so after the DID's lock, which every price change takes first (billing/prices/book.py):
# the override read is the latest, and it cannot change before the purchase commits. The same
# statement reads whether a webhook endpoint waits for the purchase (the buyer's, the seller's:
# webhooks/outbox.py), so a purchase nobody listens to writes no event and runs no statement more.
_PURCHASED = EventType.DID_PURCHASED.value
_lock_buyer = prepared_account_lock(lambda buyer_id, did_id: Account.objects.filter(pk=buyer_id).annotate(
    override_setup_fee=_override("setup_fee", did_id, buyer_id, seller_subscription__isnull=True),
    override_price=_override("price", did_id, buyer_id, seller_subscription__isnull=True),
    hooked=hooked(_PURCHASED), operator_hooked=operator_hooked(_PURCHASED)), 2)
_lock_buyer_and_seller = prepared_account_lock(
    lambda buyer_id, seller_id, did_id, holding_id: Account.objects.filter(pk__in=[buyer_id, seller_id]).annotate(
        override_setup_fee=_override("setup_fee", did_id, buyer_id, seller_subscription_id=holding_id),
        override_price=_override("price", did_id, buyer_id, seller_subscription_id=holding_id),
        hooked=hooked(_PURCHASED)), 4)


@dataclass(frozen=True)
class _Override:
    """An override as resolve reads it (its two amounts)."""
    setup_fee: Decimal
    price: Decimal


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
    did = _lock_did(did_id, buyer_id)  # core/locking.py: the DID, the seller's holding, accounts
    if did is None:
        raise PurchaseRefused("This DID does not exist.")
    try:
        return _buy(did, buyer_id, purchase_key, by, sell_setup_fee, sell_price, expected, now)
    except PurchaseRefused:
        # Refused now, but perhaps carried out already by this very request (a double submit, a
        # retry: the DID is then held, so the request is refused): that result instead. A request
        # whose first result is not in the way of a second one (the DID was released since) gets
        # as far as inserting the subscription, whose unique purchase_key refuses it (purchase_did).
        done = Subscription.objects.filter(purchase_key=purchase_key).first()
        if done is not None:
            return _repeat(done, buyer_id)
        raise


def _buy(did, buyer_id, purchase_key, by, sell_setup_fee, sell_price, expected, now) -> PurchaseResult:
    parent_id, seller_sub = did.buyer_parent_id, None
    if parent_id is not None:
        seller_sub = _lock_seller_holding(parent_id, did.pk)
    if seller_sub is not None:
        accounts = _lock_buyer_and_seller(buyer_id, parent_id, did.pk, seller_sub.pk)
    else:
        accounts = _lock_buyer(buyer_id, did.pk)
    buyer = accounts.get(buyer_id)
    if buyer is None:
        raise Account.DoesNotExist(f"No account {buyer_id}.")
    seller = None  # the operator
    if seller_sub is not None:
        seller = buyer.parent = accounts[parent_id]  # the locked row
    override = None
    if buyer.override_setup_fee is not None:
        override = _Override(buyer.override_setup_fee, buyer.override_price)
    result = sell_locked(did, buyer, seller, seller_sub, override, purchase_key, by, sell_setup_fee, sell_price,
                         expected, now)
    if buyer.hooked or (seller.hooked if seller is not None else buyer.operator_hooked):
        emit_many(purchased_events([result], buyer, seller))
    return result


def purchased_events(results: list, buyer, seller) -> list[Draft]:
    """A did.purchased event per DID bought, to the buyer and to its seller (None: the operator)."""
    return [Draft(_PURCHASED, buyer.pk, {
        "number": r.subscription.did.number, "buyer": buyer.number, "seller": seller.number if seller else None,
        "setup_fee": r.subscription.setup_fee, "price": r.subscription.price, "charged": r.charged,
        "billing_type": r.subscription.billing_type, "billing_days": r.subscription.billing_days,
        "period_end": r.subscription.period_end,
    }, also=(seller.pk if seller is not None else None,)) for r in results]


def sell_locked(did, buyer, seller, seller_sub, override, purchase_key, by, sell_setup_fee, sell_price, expected,
                now) -> PurchaseResult:
    """The purchase of one DID once its rows are locked (the DID, the seller's holding, the accounts,
    core/locking.py's order): check, charge, insert. Also each DID of purchase_many.py."""
    _refuse_unless_buyable(did, buyer, seller, seller_sub)
    price = resolve(did, seller_sub, override)  # billing/prices/resolve.py, as price_for
    if expected is not None and tuple(quantize(v) for v in expected) != (price.setup_fee, price.price):
        raise PurchaseRefused(
            f"The price of DID {did.shown} changed a moment ago: it is now "
            f"{fmt_page(price.setup_fee)} setup + {fmt_page(price.price)} per period. Review it and try again."
        )
    charge = price.total_now
    available = quantize(buyer.balance.amount + buyer.credit_limit.amount)
    if charge > available:
        raise PurchaseRefused(
            f"Insufficient funds: DID {did.shown} needs {fmt_page(charge)} {buyer.balance.currency} "
            f"(setup {fmt_page(price.setup_fee)} + price {fmt_page(price.price)}), you have {fmt_page(available)} available "
            f"(balance {fmt_page(buyer.balance.amount)} + credit limit {fmt_page(buyer.credit_limit.amount)})."
        )

    period_end = now + timedelta(days=price.billing_days)
    sell_setup = quantize(price.setup_fee if sell_setup_fee is None else sell_setup_fee)
    sell_period = quantize(price.price if sell_price is None else sell_price)
    if sell_setup < 0 or sell_period < 0:
        raise PurchaseRefused("A sell cost cannot be negative.")

    subscription = Subscription(
        did=did, account=buyer, parent=seller_sub, setup_fee=money(price.setup_fee), price=money(price.price),
        billing_type=price.billing_type, billing_days=price.billing_days, period_start=now, period_end=period_end,
        sell_setup_fee=money(sell_setup), sell_price=money(sell_period), purchase_key=purchase_key, started_at=now,
    )
    insert([subscription])
    balance_before = buyer.balance
    _charge(buyer, seller, did, subscription, price, by, purchase_key)
    if seller_sub is None:
        did.holder = buyer
        update([did], ["holder"])
    seller_name = seller or "the operator"
    insert([DIDHistory(
        did=did, account=buyer, action=DIDHistory.Action.PURCHASED, setup_fee=money(price.setup_fee),
        price=money(price.price), actor=acting_user(by),
        description=f"Bought by {buyer} from {seller_name} for {fmt(charge)}",
    )])
    # audit.record.record's row (audit.record.entry), written with the purchase's other inserts.
    insert([entry(
        "subscription.purchased", did=did, account=buyer, obj=subscription, by=by,
        summary=f"DID {did.shown} bought by {buyer} from {seller_name} for {fmt(charge)} "
                f"(setup {fmt(price.setup_fee)} + price {fmt(price.price)} per {price.billing_days} days)",
        changes={"holder": (None, f"{buyer.name} ({buyer.number})"), "balance": (balance_before, buyer.balance),
                 "setup_fee": (None, price.setup_fee), "price": (None, price.price),
                 "sell_setup_fee": (None, sell_setup), "sell_price": (None, sell_period)},
    )])
    return PurchaseResult(subscription, charge, repeated=False)


def _refuse_unless_buyable(did: DID, buyer: Account, seller: Account | None, seller_sub) -> None:
    if not buyer.is_active:
        raise PurchaseRefused("Your account is suspended and cannot buy DIDs.")
    if not did.is_active:
        raise PurchaseRefused(f"DID {did.shown} is inactive and not for sale.")
    if buyer.parent_id is None:
        if did.holder_id == buyer.pk:
            raise PurchaseRefused(f"You already hold DID {did.shown}.")
        if did.holder_id is not None:
            raise PurchaseRefused(f"DID {did.shown} was just bought by someone else.")
        return
    if seller_sub is None:
        if Subscription.objects.filter(did=did, account=buyer, status=Subscription.Status.ACTIVE).exists():
            raise PurchaseRefused(f"You already hold DID {did.shown}.")
        if Subscription.objects.filter(
            did=did, account_id=buyer.parent_id, status=Subscription.Status.ACTIVE
        ).exists():
            raise PurchaseRefused(f"DID {did.shown} was just bought by someone else.")
        raise PurchaseRefused(f"DID {did.shown} is not in your seller's pool.")
    reason = refusal(did.shown, seller_active=seller.is_active, chain_in_grace=seller_sub.chain_in_grace)
    if reason:
        raise PurchaseRefused(reason)


def _charge(buyer, seller, did, subscription, price: Price, by, key) -> None:
    """Debit the buyer (setup fee, first period); credit the seller when it is a reseller.
    The first period is always charged, even at 0, so every period has its one charge."""
    who = f"from {seller}" if seller else "from the operator"
    start, end = subscription.period_start, subscription.period_end
    entries = []
    if price.setup_fee:
        entries.append(dict(account=buyer, amount=-price.setup_fee, kind=LedgerEntry.Kind.SETUP_FEE, did=did,
                            subscription=subscription, description=f"Setup fee for DID {did.shown} {who}",
                            idempotency_key=f"{key}:setup"))
    entries.append(dict(
        account=buyer, amount=-price.price, kind=LedgerEntry.Kind.DID_PRICE, did=did, subscription=subscription,
        period_start=start, period_end=end, idempotency_key=f"{key}:price",
        description=f"DID {did.shown} first period at {fmt(price.price)} per {price.billing_days} days {who}"))
    if seller is not None and price.total_now:
        entries.append(dict(
            account=seller, amount=price.total_now, kind=LedgerEntry.Kind.SALE, did=did, subscription=subscription,
            period_start=start, period_end=end, idempotency_key=f"{key}:sale",
            description=f"Sold DID {did.shown} to {buyer} (setup {fmt(price.setup_fee)} + price {fmt(price.price)})"))
    post_many(entries, by=by)


def why_gone(buyer: Account, did_id: int, now=None) -> str | None:
    """Why a DID that was in ``buyer``'s pool (its seller's to sell) is not any more: sold within a
    purchase page's lifetime (purchase_keys.MAX_AGE), held by the buyer already, or no longer for sale.
    None when it was never ``buyer``'s to see (another account's for longer, or no such DID), so
    nothing is told about other accounts' numbers."""
    if buyer.parent_id is None:  # the operator's pool: every Active DID nobody holds
        did = DID.objects.filter(pk=did_id).first()
        seller_holding = None
    else:  # the seller's holding of it
        seller_holding = Subscription.objects.filter(
            did_id=did_id, account_id=buyer.parent_id, status=Subscription.Status.ACTIVE).select_related("did").first()
        did = seller_holding and seller_holding.did
    if did is None:
        return None
    number = display(did.number)
    bought = Subscription.objects.filter(did=did, parent=seller_holding, status=Subscription.Status.ACTIVE).first()
    if bought is not None and bought.account_id == buyer.pk:
        return f"You already hold DID {number}."
    if bought is not None:
        since = (now or timezone.now()) - timedelta(seconds=PURCHASE_PAGE_AGE)
        return f"DID {number} was just sold to someone else." if bought.started_at >= since else None
    if not did.is_active:
        return f"DID {number} is no longer for sale."
    return None
