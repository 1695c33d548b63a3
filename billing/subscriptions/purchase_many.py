"""Buying several DIDs at once (Buy DIDs' "Buy several"): one transaction, all bought or none.

The same pieces as one purchase (purchase.py): the same locks in core/locking.py's order, taken for
the whole set (every DID by id, then the seller's holdings of them, then the buyer's and the
seller's accounts), then purchase.sell_locked for each DID in id order, so each DID is checked,
priced and charged exactly as a single purchase is. One key per confirmation page: each DID's
subscription gets ``<key>:<did id>``, so a double submit finds the first result instead of buying
again. Any refusal (one number sold meanwhile, a changed price, funds short for the total) rolls
back every DID of the set.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef
from django.utils import timezone

from accounts.models import Account
from billing.models import PriceOverride, Subscription
from billing.prices.resolve import resolve
from billing.subscriptions.holdings import unsold_holdings
from billing.subscriptions.purchase import (
    PurchaseRefused, PurchaseResult, _ONE_HOLDER_CONSTRAINTS, _Override, purchased_events, sell_locked,
)
from billing.subscriptions.sellable import chain_in_grace
from core.locking import lock_accounts, lock_dids, lock_holdings
from core.money import fmt_page, quantize
from dids.models import DID
from webhooks.outbox import emit_many

MAX_AT_ONCE = 100  # a confirmation page lists every number; beyond this, buy in several steps


@dataclass(frozen=True)
class ManyResult:
    bought: list[PurchaseResult]
    charged: Decimal
    repeated: bool  # True when this confirmation page had already been carried out


def purchase_many(*, buyer_id: int, expected: dict[int, tuple[Decimal, Decimal]], purchase_key: str, by=None,
                  now=None) -> ManyResult:
    """Buy every DID of ``expected`` ({did id: (setup fee, price) the page showed}) or none."""
    if not expected or len(expected) > MAX_AT_ONCE:
        raise PurchaseRefused(f"Choose between 1 and {MAX_AT_ONCE} DIDs to buy at once.")
    if not purchase_key or len(purchase_key) > 40:
        raise PurchaseRefused("This purchase form has expired. Open Buy DIDs and try again.")
    try:
        with transaction.atomic():
            return _purchase_many(buyer_id, expected, purchase_key, by, now or timezone.now())
    except IntegrityError as exc:
        done = _done(buyer_id, purchase_key)
        if done is not None:
            return done
        if any(name in str(exc) for name in _ONE_HOLDER_CONSTRAINTS):
            raise PurchaseRefused("One of these DIDs was just bought by someone else; nothing was bought.") from exc
        raise
    except PurchaseRefused:
        done = _done(buyer_id, purchase_key)  # refused now, but carried out already by this very page
        if done is not None:
            return done
        raise


def _key(purchase_key: str, did_id: int) -> str:
    return f"{purchase_key}:{did_id}"


def _done(buyer_id, purchase_key) -> ManyResult | None:
    subs = list(Subscription.objects.filter(purchase_key__startswith=f"{purchase_key}:", account_id=buyer_id)
                .select_related("did"))
    if not subs:
        return None
    charged = quantize(sum((s.setup_fee.amount + s.price.amount for s in subs), Decimal(0)))
    return ManyResult([PurchaseResult(s, quantize(s.setup_fee.amount + s.price.amount), True) for s in subs],
                      charged, repeated=True)


def _purchase_many(buyer_id, expected, purchase_key, by, now) -> ManyResult:
    ids = sorted(expected)
    parent_id = Account.objects.filter(pk=buyer_id).values_list("parent_id", flat=True).first()
    # 1. the DIDs, by id (core/locking.py)
    dids = lock_dids(DID.objects.filter(pk__in=ids))
    if len(dids) != len(ids):
        raise PurchaseRefused("One of these DIDs does not exist any more; nothing was bought.")
    # 2. the seller's unsold holdings of them, with whether a link of each chain is in grace
    holdings = {}
    if parent_id is not None:
        holdings = {h.did_id: h for h in lock_holdings(
            unsold_holdings(parent_id).filter(did_id__in=ids).annotate(chain_in_grace=chain_in_grace(OuterRef("did_id"))))}
    # 3. the accounts
    accounts = lock_accounts(Account.objects.filter(pk__in=[buyer_id, parent_id] if holdings else [buyer_id]))
    buyer = accounts[buyer_id]
    seller = accounts.get(parent_id) if holdings else None
    if seller is not None:
        buyer.parent = seller
    overrides = PriceOverride.objects.filter(buyer_id=buyer_id, did_id__in=ids)
    overrides = (overrides.filter(seller_subscription__isnull=True) if parent_id is None
                 else overrides.filter(seller_subscription__in=[h.pk for h in holdings.values()]))
    override_of = {o.did_id: _Override(o.setup_fee.amount, o.price.amount) for o in overrides}

    # Funds for the whole set first, so the refusal names the total (each sale checks its own too).
    total = quantize(sum((resolve(dids[i], holdings.get(i), override_of.get(i)).total_now for i in ids), Decimal(0)))
    available = quantize(buyer.balance.amount + buyer.credit_limit.amount)
    if total > available:
        raise PurchaseRefused(
            f"Insufficient funds: these {len(ids)} DIDs need {fmt_page(total)} {buyer.balance.currency} together, you "
            f"have {fmt_page(available)} available (balance {fmt_page(buyer.balance.amount)} + credit limit "
            f"{fmt_page(buyer.credit_limit.amount)}). Nothing was bought.")
    bought = []
    for did_id in ids:
        did = dids[did_id]
        try:
            bought.append(sell_locked(
                did, buyer, seller if did_id in holdings else None, holdings.get(did_id), override_of.get(did_id),
                _key(purchase_key, did_id), by, None, None, expected[did_id], now))
        except PurchaseRefused as refusal:
            raise PurchaseRefused(f"{refusal} Nothing was bought.") from None
    emit_many(purchased_events(bought, buyer, seller))  # one event per DID, written together (webhooks)
    return ManyResult(bought, quantize(sum((r.charged for r in bought), Decimal(0))), repeated=False)
