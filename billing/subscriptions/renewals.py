"""The billing run (DESIGN.md section 5): settle every subscription whose period has ended.

  - Recurring: charge the next period at the price in effect now (the seller's
    sell cost for this buyer, billing.prices.resolve), credit the seller, extend by
    Billing Days. Missed runs catch up period by period, in order.
  - One Time: the subscription ends at the end of its period; the DID goes back
    to the seller's pool, and everyone below it in the chain loses it too.
  - Funds short: the subscription is suspended (it keeps the DID) until
    ``grace_until`` = the due date + BILLING_GRACE_DAYS; every later run retries;
    paid = reinstated; still unpaid when the grace ends = released, cascading down.

Exactly once. A charge entry carries its subscription and period, and a unique
index allows one per subscription per period, so a repeated or concurrent run
cannot charge twice. Work is claimed in batches of DIDs with ``FOR UPDATE SKIP
LOCKED``: runs on several machines share the queue, never wait on each other's
batch, and each batch commits on its own, so a crashed run loses at most its
current batch, which the next run redoes. Grace is counted from the due date,
not from when a run noticed, so the ledger does not depend on when runs happen.

Lock order is the purchase's: DID rows (claimed), their subscriptions, then all
the accounts involved, by id, once per batch.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.record import entry as audit_entry, record_many as write_audit
from billing.subscriptions.chain import top_down
from billing.ledger.posting import lock_accounts
from billing.ledger.batch import LedgerBatch
from billing.models import LedgerEntry, Notification, PriceOverride, Subscription
from billing.subscriptions.notifications import Notices
from billing.prices.resolve import resolve
from billing.subscriptions.release import end_subscriptions
from core.bulk_update import update_rows
from core.money import fmt, fmt_page, money, quantize
from core.progress import Progress
from dids.models import DID
from core.locking import claim_dids, lock_holdings
from webhooks.models import EventType
from webhooks.outbox import Draft as HookDraft, emit_many as emit_hooks

ACTIVE = Subscription.Status.ACTIVE
# What a renewal needs of a DID (the rest of the row is the catalogue's).
PRICE_FIELDS = ("number", "setup_fee", "setup_fee_currency", "monthly_fee", "monthly_fee_currency", "billing_type",
                "billing_days")


@dataclass
class RunReport:
    renewed: int = 0  # periods charged
    suspended: int = 0
    reinstated: int = 0
    released: int = 0  # subscriptions ended for want of funds (cascade included)
    expired: int = 0  # One Time subscriptions ended (cascade included)
    batches: int = 0
    notices: int = 0
    charged: Decimal = field(default_factory=lambda: Decimal("0.0000"))

    def __str__(self) -> str:
        return (f"renewed {self.renewed:,} periods ({fmt_page(self.charged)} USD), suspended {self.suspended:,}, "
                f"reinstated {self.reinstated:,}, released {self.released:,}, One Time ended {self.expired:,}, "
                f"{self.notices:,} notices, {self.batches:,} batches")


def run_billing(*, now=None, batch_size: int | None = None, progress: Progress | None = None) -> RunReport:
    """Settle everything due at ``now`` (default: the current time). Safe to run on
    several machines at once and again after a crash. ``progress(done, total, stage)``: DIDs
    settled of those due at the start (another machine's run may take some of them)."""
    now = now or timezone.now()
    batch_size = batch_size or settings.BILLING_BATCH_SIZE
    report = RunReport()
    done = 0
    if progress:  # one COUNT more, only when someone watches
        total = due_subscriptions(now).values("did_id").distinct().count()
        progress(0, total, "Billing")
    while True:
        with transaction.atomic():
            did_ids = claim_due_dids(now, batch_size)
            if not did_ids:
                break
            _Batch(did_ids, now, report).settle()
            report.batches += 1
        if progress:  # after the commit: what is shown as done is settled
            done += len(did_ids)
            progress(done, total, "Billing")
    report.notices += Notices.low_balance(now)
    return report


def due_subscriptions(now):
    """Active subscriptions whose period has ended and that no run at this clock has tried yet."""
    return Subscription.objects.filter(status=ACTIVE, period_end__lte=now).filter(
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=now)
    )


def claim_due_dids(now, limit: int) -> list[int]:
    """Lock up to ``limit`` DIDs with a due subscription, skipping DIDs another run
    (or a purchase) holds; oldest due first."""
    rows = claim_dids(due_subscriptions(now).select_related("did").only("did__id").order_by("period_end", "pk"),
                      of="did", limit=limit)
    return sorted({s.did_id for s in rows})


class _Batch:
    """Settle the due subscriptions of a set of claimed DIDs, in one transaction."""

    def __init__(self, did_ids: list[int], now, report: RunReport):
        self.now, self.report = now, report
        self.grace = timedelta(days=settings.BILLING_GRACE_DAYS)
        self.dids = {d.pk: d for d in DID.objects.filter(pk__in=did_ids).only(*PRICE_FIELDS)}
        subs = lock_holdings(Subscription.objects.filter(did_id__in=did_ids, status=ACTIVE), order_by=("did_id", "pk"))
        self.by_pk = {s.pk: s for s in subs}
        self.chains = _chains(subs)
        self.overrides = {
            (o.did_id, o.seller_subscription_id, o.buyer_id): o
            for o in PriceOverride.objects.filter(did_id__in=did_ids)
        }
        self.accounts = lock_accounts({s.account_id for s in subs})
        for s in subs:  # the rows already loaded, not one query each when a message names them
            s.did, s.account = self.dids[s.did_id], self.accounts[s.account_id]
        self.ledger = LedgerBatch(self.accounts)
        self.changed: dict[int, Subscription] = {}
        self.ended: set[int] = set()
        self.notices = Notices(now)
        # Suspensions and reinstatements, written in one INSERT with the batch (releases write
        # their own in end_subscriptions). A plain renewal has none: its ledger entry is the record.
        self.audit: list = []
        self.hooks: list[HookDraft] = []  # did.suspended and did.reinstated events, written with the batch

    def settle(self) -> None:
        for chain in self.chains:
            for sub in chain:  # top-down: a seller is settled before its buyers
                if sub.pk not in self.ended and self.is_due(sub):
                    self.settle_one(sub, chain)
        self.set_aside_orphans()
        self.ledger.flush()
        # The periods charged in this batch, also of subscriptions that ended after them
        # (end_subscriptions already wrote their status and cleared their suspension).
        update_rows(Subscription, ["period_start", "period_end", "price"], self.changed.values())
        update_rows(Subscription, ["suspended_at", "grace_until", "last_attempt_at"],
                    [s for pk, s in self.changed.items() if pk not in self.ended])
        write_audit(self.audit)
        emit_hooks(self.hooks)
        self.report.notices += self.notices.send_on_commit()

    def is_due(self, sub: Subscription) -> bool:
        return sub.period_end <= self.now and (sub.last_attempt_at is None or sub.last_attempt_at < self.now)

    def set_aside_orphans(self) -> None:
        """An active subscription below an ended one cannot exist while releases cascade;
        if one ever does, it is left for the audit, not claimed by this run again and again."""
        in_chains = {s.pk for chain in self.chains for s in chain}
        for sub in self.by_pk.values():
            if sub.pk not in in_chains and self.is_due(sub):
                sub.last_attempt_at = self.now
                self.changed[sub.pk] = sub

    def settle_one(self, sub: Subscription, chain: list[Subscription]) -> None:
        parent = self.by_pk.get(sub.parent_id)
        while sub.period_end <= self.now:
            if sub.billing_type == DID.BillingType.ONE_TIME:
                self.end(sub, chain, "One Time period ended")
                self.report.expired += 1 + self._below_count(sub, chain)
                return
            price = self.renewal_price(sub, parent)
            if price > self.ledger.available(sub.account_id):
                self.short_of_funds(sub, chain, price)
                return
            self.charge(sub, parent, price)

    def renewal_price(self, sub: Subscription, parent: Subscription | None) -> Decimal:
        """The seller's price for this buyer now (billing.prices.resolve's order, from the batch's rows)."""
        did = self.dids[sub.did_id]
        override = self.overrides.get((did.pk, parent.pk if parent else None, sub.account_id))
        return resolve(did, parent, override).price

    def charge(self, sub: Subscription, parent: Subscription | None, price: Decimal) -> None:
        did = self.dids[sub.did_id]
        start, end = sub.period_end, sub.period_end + timedelta(days=sub.billing_days)
        old = quantize(sub.price.amount)
        note = "" if price == old else f" (new price; was {fmt(old)})"
        seller = f"from {self.accounts[parent.account_id]}" if parent else "from the operator"
        self.ledger.add(
            sub.account_id, -price, LedgerEntry.Kind.RENEWAL, did_id=did.pk, subscription_id=sub.pk,
            period_start=start, period_end=end, description=f"Renewal of DID {did.shown} at {fmt(price)} per {sub.billing_days} days"
                                        f"{note} {seller}"[:255],
        )
        if parent is not None and price:
            self.ledger.add(
                parent.account_id, price, LedgerEntry.Kind.SALE, did_id=did.pk, subscription_id=sub.pk,
                period_start=start, period_end=end,
                description=f"Renewal of DID {did.shown} by {self.accounts[sub.account_id]} at {fmt(price)}",
            )
        if sub.grace_until is not None:
            self.report.reinstated += 1
            self.audit.append(audit_entry(
                "subscription.reinstated", did=did, account=self.accounts[sub.account_id], obj=sub,
                summary=f"DID {did.shown} of {self.accounts[sub.account_id]} reinstated: renewal of {fmt(price)} paid",
                changes={"suspended": ("yes", "no"), "grace_until": (sub.grace_until, None)}))
            self.hooks.append(HookDraft(EventType.DID_REINSTATED, sub.account_id, {
                "number": did.number, "account": self.accounts[sub.account_id].number, "charged": price,
                "period_end": end}))
            self.notices.add(sub, Notification.Kind.REINSTATED, start,
                             f"DID {did.shown} renewed: your number is active again",
                             f"The renewal of DID {did.shown} ({fmt_page(price)} USD) is paid; the suspension has ended.")
        sub.period_start, sub.period_end, sub.price = start, end, money(price)
        sub.suspended_at = sub.grace_until = None
        self.changed[sub.pk] = sub
        self.report.renewed += 1
        self.report.charged += price

    def short_of_funds(self, sub: Subscription, chain, price: Decimal) -> None:
        did = self.dids[sub.did_id]
        available = self.ledger.available(sub.account_id)
        if sub.grace_until is None:
            sub.suspended_at, sub.grace_until = self.now, sub.period_end + self.grace
            self.report.suspended += 1
            self.audit.append(audit_entry(
                "subscription.suspended", did=did, account=self.accounts[sub.account_id], obj=sub,
                summary=f"DID {did.shown} of {self.accounts[sub.account_id]} suspended: renewal of {fmt(price)} "
                        f"unpaid ({fmt(available)} available)",
                changes={"suspended": ("no", "yes"), "grace_until": (None, sub.grace_until)}))
            self.hooks.append(HookDraft(EventType.DID_SUSPENDED, sub.account_id, {
                "number": did.number, "account": self.accounts[sub.account_id].number, "amount_due": price,
                "available": available, "grace_until": sub.grace_until}))
            self.notices.add(
                sub, Notification.Kind.SUSPENDED, sub.period_end,
                f"DID {did.shown} suspended: renewal failed",
                f"The renewal of DID {did.shown} needs {fmt_page(price)} USD; you have {fmt_page(available)} USD available. "
                f"Add funds before {timezone.localtime(sub.grace_until):%Y-%m-%d %H:%M} or the DID is released.",
            )
        if self.now >= sub.grace_until:
            self.end(sub, chain, f"renewal of {fmt(price)} unpaid when the grace period ended")
            self.report.released += 1 + self._below_count(sub, chain)
            return
        sub.last_attempt_at = self.now
        self.changed[sub.pk] = sub

    def end(self, sub: Subscription, chain: list[Subscription], why: str) -> None:
        """End ``sub`` and everyone below it in the chain (bottom first), with ledger,
        history and a notice at each level."""
        lost = [sub] + chain[chain.index(sub) + 1:]
        lost = [s for s in lost if s.pk not in self.ended]
        self.ledger.flush()  # end_subscriptions posts through billing.ledger.posting.post
        write_audit(self.audit)  # a suspension before the release it led to, in the trail's order too
        self.audit = []
        end_subscriptions(list(reversed(lost)), self.accounts, self.now, None, why)
        self.ledger.resync({s.account_id for s in lost})
        for s in lost:
            self.ended.add(s.pk)
            reason = why if s is sub else f"{why} for {sub.account}, who sold it to you"
            self.notices.add(s, Notification.Kind.RELEASED, s.period_start, f"DID {s.did.shown} released",
                             f"DID {s.did.shown} has been released: {reason}.")

    @staticmethod
    def _below_count(sub, chain) -> int:
        return len(chain) - chain.index(sub) - 1


def _chains(subs: list[Subscription]) -> list[list[Subscription]]:
    """Group the batch's subscriptions by DID, each chain top-level holder first."""
    by_did: dict[int, list] = {}
    for s in subs:
        by_did.setdefault(s.did_id, []).append(s)
    return [top_down(group) for group in by_did.values()]
