"""Billing as a state machine (Hypothesis): random interleavings of purchases,
retried purchases, refills, price changes, releases and billing runs at random
clock times, over a small reseller tree. After every step the books must hold:

  - every account: balance == sum(entries), an unbroken chain (seq 1..n, each
    entry starting where the previous one ended), never below -credit limit;
  - every subscription: one charge per period; its charges tile
    [started_at, period_end) without gap or overlap, and its period is the last
    one charged; nothing charged in advance, nothing charged after it ended; its
    seller is credited exactly what it paid;
  - every DID: one holder (one active top-level subscription, DID.holder = its
    account), each holder sells it on to at most one account, and a buyer's
    seller still holds it.

After each billing run, nothing due is left unsettled, grace counts from the due
date, and every renewal was charged at the price in effect (billing.prices.resolve).
A refusal (PurchaseRefused, ReleaseRefused, PriceRefused) is an allowed outcome
that must change nothing, and only for a reason (a purchase outside the buyer's
pool or beyond its funds, a release of a DID sold on below, a price below cost
or for someone the seller does not sell to); any other exception fails the test.

Each Hypothesis example runs in its own savepoint, rolled back in teardown():
the ledger is immutable on PostgreSQL, so rows are never deleted. The deferred
PostgreSQL ledger triggers only fire at commit, so the invariant also sets the
constraints IMMEDIATE after every step to make the database check its part.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from uuid import uuid4

from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, PriceOverride, Subscription
from dids.models import DIDHistory
from billing.subscriptions.holdings import seller_holding
from billing.subscriptions.pool import pool_for
from billing.prices.book import PriceRefused, clear_override, set_sell_cost
from billing.prices.lookups import price_for
from billing.subscriptions.purchase import PurchaseRefused, purchase_did
from billing.subscriptions.release import ReleaseRefused, admin_release_did, release_did
from billing.subscriptions.renewals import run_billing
from core.money import money
from dids.models import DID
from tests.factories import DIDFactory, make_account_user, make_admin
from tests.scaffold import harness_atomic

D = Decimal
ZERO = D("0.0000")
CHARGES = {LedgerEntry.Kind.DID_PRICE, LedgerEntry.Kind.RENEWAL}
T0 = datetime(2026, 1, 1, tzinfo=dt_timezone.utc)

# The tree: the operator sells to R1 and R2; R1 sells to SR and C1; SR sells to C2.
TREE = {"R1": None, "R2": None, "SR": "R1", "C1": "R1", "C2": "SR"}
NAMES = list(TREE)
RESELLERS = ["R1", "R2", "SR"]
MAX_DIDS = 4


# Examples and steps per example: about 20 s on SQLite, 30 s on PostgreSQL.
EXAMPLES = 80
STEPS = 40


def depth(name):
    return 0 if TREE[name] is None else 1 + depth(TREE[name])


def cents(low, high):
    """Money as whole cents, never a float."""
    return st.integers(low, high).map(lambda n: D(n) / 100)


did_params = st.fixed_dictionaries({
    "buy_cost": cents(0, 300),
    "setup_fee": cents(0, 300),
    "monthly_fee": cents(0, 800),
    "billing_days": st.integers(1, 30),
    "billing_type": st.sampled_from([DID.BillingType.RECURRING, DID.BillingType.RECURRING, DID.BillingType.ONE_TIME]),
})
clock_steps = st.one_of(st.integers(1, 72).map(lambda h: timedelta(hours=h)),
                        st.integers(1, 45).map(lambda d: timedelta(days=d)))
# A DID by index; for releases and price changes, an index past the DIDs picks one that is held.
did_index = st.integers(0, 3 * MAX_DIDS - 1)
markups = cents(-100, 500)  # added to a cost: negative is below cost


class BillingMachine(RuleBasedStateMachine):
    purchases = Bundle("purchases")

    def __init__(self):
        super().__init__()
        # One savepoint per example, rolled back in teardown (ledger rows cannot be deleted).
        self._atomic = harness_atomic()
        self._atomic.__enter__()
        self.clock = T0
        self.acc: dict[str, int] = {}
        self.users: dict[str, object] = {}
        self.dids: list[int] = []
        self._grace = None

    def teardown(self):
        if self._grace is not None:
            self._grace.disable()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- the world -----------------------------------------------------------------

    @initialize(
        dids=st.lists(did_params, min_size=3, max_size=MAX_DIDS),
        funds=st.lists(st.integers(0, 100), min_size=len(NAMES), max_size=len(NAMES)),
        credit=st.lists(st.sampled_from([0, 0, 0, 5]), min_size=len(NAMES), max_size=len(NAMES)),
        opening=st.lists(st.tuples(st.sampled_from(NAMES), did_index), min_size=2, max_size=8),
        repricing=st.lists(st.tuples(st.sampled_from(["operator", *RESELLERS]), did_index, markups), max_size=3),
        grace_days=st.sampled_from([3, 10, 0]),
    )
    def world(self, dids, funds, credit, opening, repricing, grace_days):
        """The tree, the DIDs, the opening balances, a few opening purchases from the buyers' pools
        (top of the tree first) and price changes after them, so that most examples start with DIDs
        sold down the chain whose next renewal is at a new price."""
        self._grace = override_settings(BILLING_GRACE_DAYS=grace_days)
        self._grace.enable()
        self.admin = make_admin(f"admin{uuid4().hex[:8]}")
        for name, amount, limit in zip(NAMES, funds, credit):
            kind = Account.Kind.RESELLER if name in RESELLERS else Account.Kind.CUSTOMER
            parent = Account.objects.get(pk=self.acc[TREE[name]]) if TREE[name] else None
            user = make_account_user(kind, parent=parent, name=name, credit_limit=money(limit))
            self.users[name], self.acc[name] = user, user.account_id
            if amount:
                add_funds(account_id=user.account_id, amount=D(amount), by=self.admin)
        for i, params in enumerate(dids):
            did = DIDFactory(number=f"+1303555{i:04d}", buy_cost=money(params["buy_cost"]),
                             setup_fee=money(params["setup_fee"]), monthly_fee=money(params["monthly_fee"]),
                             billing_days=params["billing_days"], billing_type=params["billing_type"])
            self.dids.append(did.pk)
        for name, pick in sorted(opening, key=lambda p: depth(p[0])):
            self.purchase(name, pick, True, None, None)
        for seller, did, markup in repricing:
            self.price_change(seller, did, None, ZERO, markup, True, False)

    def did_id(self, index: int) -> int:
        return self.dids[index % len(self.dids)]

    def held_or_any(self, name: str | None, index: int) -> int:
        """The index-th DID; past the DIDs, one that ``name`` (None: anyone) holds, if any, so that
        releases and price changes often hit a DID that is really held."""
        if index < len(self.dids):
            return self.dids[index]
        held = Subscription.objects.filter(status="active", did_id__in=self.dids)
        if name is not None:
            held = held.filter(account_id=self.acc[name])
        held = sorted(set(held.values_list("did_id", flat=True)))
        return held[index % len(held)] if held else self.did_id(index)

    def name_of(self, account_id: int | None) -> str | None:
        return next((name for name, pk in self.acc.items() if pk == account_id), None)

    def fingerprint(self):
        """What a refused action must leave untouched."""
        return (
            LedgerEntry.objects.count(),
            list(Subscription.objects.order_by("pk").values_list("pk", "status", "sell_setup_fee", "sell_price")),
            DIDHistory.objects.count(),
            list(PriceOverride.objects.order_by("pk").values_list("pk", "setup_fee", "price")),
            list(DID.objects.order_by("pk").values_list("pk", "holder_id", "setup_fee", "monthly_fee")),
        )

    def balance(self, name: str) -> Decimal:
        return Account.objects.get(pk=self.acc[name]).balance.amount

    # --- the clock and the billing run ---------------------------------------------

    @rule(step=clock_steps)
    def advance_clock(self, step):
        self.clock += step

    @rule(advance=st.one_of(st.none(), clock_steps), batch_size=st.sampled_from([200, 1, 2]))
    def billing_run(self, advance, batch_size):
        """The billing run at the clock (after moving it on by ``advance``); ``batch_size`` 1 and 2
        make it settle in several transactions."""
        if advance is not None:
            self.advance_clock(advance)
        last = LedgerEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        report = run_billing(now=self.clock, batch_size=batch_size)
        for what in ("renewed", "suspended", "reinstated", "released", "expired"):
            if getattr(report, what):
                event(f"billing run: {what}")

        # Nothing due is left: every active subscription is paid beyond the clock or
        # suspended (tried at this clock) within its grace period.
        for sub in Subscription.objects.filter(status=Subscription.Status.ACTIVE):
            if sub.period_end <= self.clock:
                assert sub.grace_until is not None and self.clock < sub.grace_until, (
                    f"subscription {sub.pk} due {sub.period_end} is unsettled after the run at {self.clock}"
                )
                assert sub.last_attempt_at == self.clock
                assert sub.grace_until == sub.period_end + timedelta(days=django_settings.BILLING_GRACE_DAYS), (
                    f"subscription {sub.pk}'s grace is not counted from its due date"
                )
            else:
                assert sub.grace_until is None, f"subscription {sub.pk} is paid ahead but still suspended"

        # Every renewal of this run was charged at the price in effect now.
        for entry in LedgerEntry.objects.filter(pk__gt=last, kind=LedgerEntry.Kind.RENEWAL).select_related(
            "subscription__parent", "subscription__did"
        ):
            sub = entry.subscription
            expected = price_for(sub.did, sub.parent, sub.account_id).price
            assert -entry.amount.amount == expected, (
                f"renewal of subscription {sub.pk} charged {-entry.amount.amount}, its price is {expected}"
            )

    # --- money in ------------------------------------------------------------------

    @rule(name=st.sampled_from(["suspended", *NAMES]), amount=cents(1, 5000))
    def refill(self, name, amount):
        """Add funds to an account; "suspended": to the holder of a suspended subscription, what its
        renewal needs plus ``amount``, as the notice asks (the next run in the grace reinstates it)."""
        if name == "suspended":
            sub = Subscription.objects.filter(status="active", grace_until__isnull=False).order_by("pk").first()
            if sub is None:
                return
            name = self.name_of(sub.account_id)
            account = Account.objects.get(pk=sub.account_id)
            needed = price_for(sub.did, sub.parent, sub.account_id).price - account.balance.amount \
                - account.credit_limit.amount
            amount += max(needed, ZERO)
            event("suspended renewal paid")
        before = self.balance(name)
        add_funds(account_id=self.acc[name], amount=amount, by=self.admin, idempotency_key=uuid4().hex)
        assert self.balance(name) == before + amount

    # --- purchases -----------------------------------------------------------------

    @rule(target=purchases, name=st.sampled_from(NAMES), did=did_index, from_pool=st.booleans(),
          sell_setup=st.one_of(st.none(), cents(0, 300)), sell_price=st.one_of(st.none(), cents(0, 900)))
    def purchase(self, name, did, from_pool, sell_setup, sell_price):
        """``name`` buys the did-th DID, or with ``from_pool`` the did-th one its Buy DIDs page offers
        (its parent's pool) if there is one; ``sell_*``: its SELL COST (None: what it pays)."""
        buyer = Account.objects.get(pk=self.acc[name])
        pool = list(pool_for(buyer).filter(pk__in=self.dids).order_by("pk").values_list("pk", flat=True))
        did_id = pool[did % len(pool)] if from_pool and pool else self.did_id(did)
        return self.buy(name, did_id, sell_setup, sell_price)

    def buy(self, name, did_id, sell_setup=None, sell_price=None):
        buyer_id = self.acc[name]
        buyer = Account.objects.get(pk=buyer_id)
        product = DID.objects.get(pk=did_id)
        # The pool (README): the operator's unheld DIDs, or what the parent holds and has not sold on
        # while no link of the DID's chain is in grace (billing/subscriptions/sellable.py; no account is
        # ever suspended here).
        seller_sub = seller_holding(buyer, did_id)
        unpaid = Subscription.objects.filter(did_id=did_id, status="active", grace_until__isnull=False).exists()
        in_pool = product.holder_id is None if buyer.parent_id is None else seller_sub is not None and not unpaid
        price = price_for(product, seller_sub, buyer_id)
        affordable = price.total_now <= buyer.balance.amount + buyer.credit_limit.amount
        seller = TREE[name]
        seller_before = self.balance(seller) if seller else None
        before, balance_before = self.fingerprint(), buyer.balance.amount
        key = uuid4().hex
        try:
            result = purchase_did(buyer_id=buyer_id, did_id=did_id, purchase_key=key, by=self.users[name],
                                  sell_setup_fee=sell_setup, sell_price=sell_price, now=self.clock)
        except PurchaseRefused as refusal:
            event("purchase refused")
            assert not (in_pool and affordable), f"{name} was refused a DID in its pool it can afford: {refusal}"
            assert self.fingerprint() == before, "a refused purchase changed something"
            return multiple()
        event(f"purchase by {name}")
        assert in_pool and affordable, f"{name} bought DID {did_id}, not in its pool or not affordable"
        assert not result.repeated and result.charged == price.total_now
        sub = result.subscription
        assert (sub.account_id, sub.did_id, sub.parent_id) == (buyer_id, did_id, seller_sub.pk if seller_sub else None)
        assert (sub.started_at, sub.period_start) == (self.clock, self.clock)
        assert sub.period_end == self.clock + timedelta(days=product.billing_days)
        assert self.balance(name) == balance_before - result.charged
        if seller:
            assert self.balance(seller) == seller_before + result.charged
        return (key, name, did_id, sub.pk, result.charged)

    @rule(bought=purchases, as_name=st.one_of(st.none(), st.sampled_from(NAMES)))
    def retry_purchase(self, bought, as_name):
        """A double submit or retry of a purchase that went through charges nothing more,
        whatever happened since; the same key posted by another account is refused."""
        key, name, did_id, sub_pk, charged = bought
        as_name = as_name or name
        before = self.fingerprint()
        try:
            result = purchase_did(buyer_id=self.acc[as_name], did_id=did_id, purchase_key=key, now=self.clock)
        except PurchaseRefused:
            assert as_name != name, "the retry of a purchase was refused"
        else:
            assert as_name == name, "another account's retry returned someone else's purchase"
            assert result.repeated and result.subscription.pk == sub_pk
            assert result.charged == charged, f"the retry reports {result.charged} charged, the purchase {charged}"
        assert self.fingerprint() == before, "a retried purchase changed something"

    # --- price changes -------------------------------------------------------------

    @rule(seller=st.sampled_from(["operator", *RESELLERS]), did=did_index,
          buyer=st.sampled_from([None, "buyer", *NAMES]), setup=cents(0, 300), price=markups,
          allow_below_cost=st.booleans(), clear=st.booleans())
    def price_change(self, seller, did, buyer, setup, price, allow_below_cost, clear):
        """A seller sets its sell cost, for all its buyers (``buyer`` None) or for one ("buyer": the
        one it sells the DID to now), at its own cost plus a markup: the operator's cost is the
        provider's Buy Cost (and no setup fee), a reseller's its BUY COST. Below cost (``price``
        negative) is refused, except for the admin
        with ``allow_below_cost``. The operator's changes are made by the admin, a reseller's by its
        own login. With ``clear`` (and a buyer), the admin removes that buyer's override instead."""
        operator = seller == "operator"
        did_id = self.held_or_any(None if operator else seller, did)
        seller_id = None if operator else self.acc[seller]
        held = None if operator else Subscription.objects.filter(
            did_id=did_id, account_id=seller_id, status="active").first()
        if buyer == "buyer":
            if operator:
                buyer = self.name_of(DID.objects.get(pk=did_id).holder_id)
            else:
                below = held and held.children.filter(status="active").first()
                buyer = self.name_of(below.account_id) if below else None
        buyer_id = self.acc[buyer] if buyer else None
        sells_to_buyer = buyer is None or TREE[buyer] == (None if operator else seller)
        before = self.fingerprint()
        if clear and buyer is not None:
            try:
                if clear_override(did_id=did_id, seller_id=seller_id, buyer_id=buyer_id, by=self.admin):
                    event("override cleared")
            except PriceRefused:
                assert not ((operator or held is not None) and sells_to_buyer), "an override's removal was refused"
                assert self.fingerprint() == before, "a refused price change changed something"
            return
        if operator:
            floor = (ZERO, DID.objects.get(pk=did_id).buy_cost.amount)
        else:
            floor = (held.setup_fee.amount, held.price.amount) if held else (ZERO, ZERO)
        setup, price = floor[0] + setup, floor[1] + price
        valid = (operator or held is not None) and sells_to_buyer and setup >= 0 and price >= 0 and (
            (operator and allow_below_cost) or (setup >= floor[0] and price >= floor[1]))
        try:
            set_sell_cost(did_id=did_id, seller_id=seller_id, buyer_id=buyer_id, setup_fee=setup, price=price,
                          by=self.admin if operator else self.users[seller], allow_below_cost=allow_below_cost)
        except PriceRefused as refusal:
            event("price change refused")
            assert not valid, f"a valid price change was refused: {refusal}"
            assert self.fingerprint() == before, "a refused price change changed something"
            return
        event(f"{'operator' if operator else 'reseller'} price change")
        assert valid, "an invalid price change was accepted"
        if held is not None:
            held.refresh_from_db()
        assert price_for(DID.objects.get(pk=did_id), held, buyer_id).price == price, "the new price does not apply"

    # --- releases ------------------------------------------------------------------

    @rule(name=st.sampled_from(["operator", *NAMES]), did=did_index)
    def release(self, name, did):
        """The holder releases a DID (refused while it is sold on below); "operator": the admin's
        Release, which ends the whole chain, bottom first."""
        if name == "operator":
            did_id = self.held_or_any(None, did)
            active = Subscription.objects.filter(did_id=did_id, status="active").count()
            assert admin_release_did(did_id=did_id, by=self.admin, now=self.clock) == active
            event("operator release")
            assert not Subscription.objects.filter(did_id=did_id, status="active").exists()
            assert DID.objects.get(pk=did_id).holder_id is None
            return
        did_id = self.held_or_any(name, did)
        mine = Subscription.objects.filter(did_id=did_id, account_id=self.acc[name], status="active").first()
        before = self.fingerprint()
        try:
            release_did(account_id=self.acc[name], did_id=did_id, by=self.users[name], now=self.clock)
        except ReleaseRefused:
            event("release refused")
            assert mine is None or mine.children.filter(status="active").exists(), "a release was refused wrongly"
            assert self.fingerprint() == before, "a refused release changed something"
            return
        event("release")
        assert mine is not None
        mine.refresh_from_db()
        assert mine.status == Subscription.Status.ENDED and mine.ended_at == self.clock

    # --- the invariants ------------------------------------------------------------

    @invariant()
    def books_hold(self):
        if connection.vendor == "postgresql":
            # Fire the deferred ledger triggers now (balance == last entry) instead of at a commit
            # that never comes, then defer them again (Django's foreign keys are deferred too).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        accounts = {a["pk"]: a for a in Account.objects.values("pk", "name", "parent_id", "balance", "credit_limit")}
        entries = list(LedgerEntry.objects.order_by("account_id", "seq").values(
            "pk", "account_id", "seq", "kind", "amount", "balance_before", "balance_after", "subscription_id",
            "period_start", "period_end",
        ))
        subs = {s["pk"]: s for s in Subscription.objects.values(
            "pk", "did_id", "account_id", "parent_id", "status", "billing_days", "started_at", "period_start",
            "period_end", "ended_at",
        )}
        holders = dict(DID.objects.values_list("pk", "holder_id"))
        check_ledger(accounts, entries)
        check_charges(subs, entries, self.clock)
        check_sales(subs, entries)
        check_holders(accounts, subs, holders)


def check_ledger(accounts, entries):
    by_account = defaultdict(list)
    for e in entries:
        by_account[e["account_id"]].append(e)
    for pk, account in accounts.items():
        chain = by_account.get(pk, [])
        name = account["name"]
        assert [e["seq"] for e in chain] == list(range(1, len(chain) + 1)), f"{name}: the chain has a gap or a fork"
        running = ZERO
        for e in chain:
            assert e["balance_before"] == running, f"{name} #{e['seq']} starts at {e['balance_before']}, not {running}"
            assert e["balance_after"] == e["balance_before"] + e["amount"], f"{name} #{e['seq']} does not add up"
            running = e["balance_after"]
        total = sum((e["amount"] for e in chain), ZERO)
        assert account["balance"] == running == total, (
            f"{name}: balance {account['balance']}, last entry {running}, sum of entries {total}"
        )
        assert account["balance"] + account["credit_limit"] >= 0, f"{name} is beyond its credit limit"


def check_charges(subs, entries, clock):
    charges, setups, releases = defaultdict(list), defaultdict(list), defaultdict(list)
    for e in entries:
        if e["kind"] in CHARGES:
            assert e["subscription_id"] is not None, f"charge entry {e['pk']} belongs to no subscription"
            charges[e["subscription_id"]].append(e)
        elif e["kind"] == LedgerEntry.Kind.SETUP_FEE:
            setups[e["subscription_id"]].append(e)
        elif e["kind"] == LedgerEntry.Kind.RELEASE:
            releases[e["subscription_id"]].append(e)
    assert set(charges) <= set(subs)
    for pk, sub in subs.items():
        mine = sorted(charges.get(pk, []), key=lambda e: e["period_start"])
        starts = [e["period_start"] for e in mine]
        assert len(set(starts)) == len(starts), f"subscription {pk} is charged twice for one period: {starts}"
        assert mine, f"subscription {pk} was never charged"
        assert all(e["account_id"] == sub["account_id"] for e in mine + setups.get(pk, []))
        assert [e["kind"] for e in mine][0] == LedgerEntry.Kind.DID_PRICE
        assert [e["kind"] for e in mine].count(LedgerEntry.Kind.DID_PRICE) == 1
        assert len(setups.get(pk, [])) <= 1, f"subscription {pk} paid its setup fee twice"
        # The charges tile [started_at, period_end): no gap, no overlap, one billing period each.
        assert mine[0]["period_start"] == sub["started_at"], f"subscription {pk}'s first charge is not at its start"
        for previous, e in zip(mine, mine[1:]):
            assert e["period_start"] == previous["period_end"], f"subscription {pk}: gap or overlap at {previous}"
        for e in mine:
            assert e["period_end"] - e["period_start"] == timedelta(days=sub["billing_days"])
            assert e["period_start"] <= clock, f"subscription {pk} is charged in advance for {e['period_start']}"
        assert (sub["period_start"], sub["period_end"]) == (mine[-1]["period_start"], mine[-1]["period_end"]), (
            f"subscription {pk} ({sub['status']}) is in period [{sub['period_start']}, {sub['period_end']}), "
            f"its last charge is for [{mine[-1]['period_start']}, {mine[-1]['period_end']})"
        )
        if sub["status"] == Subscription.Status.ENDED:
            assert sub["ended_at"] is not None and len(releases.get(pk, [])) == 1, f"{pk} ended without its release"
            # Nothing charged once it ended: no charge after its release entry, none for a period
            # starting after it ended (at the same instant: bought or renewed, then released).
            ended_seq = releases[pk][0]["seq"]
            late = [e["period_start"] for e in mine if e["seq"] > ended_seq or e["period_start"] > sub["ended_at"]]
            assert not late, f"subscription {pk} ended at {sub['ended_at']} and was charged for {late}"
        else:
            assert sub["ended_at"] is None and not releases.get(pk), f"active subscription {pk} has a release"


def check_sales(subs, entries):
    """The seller is credited exactly what its buyer paid, period by period."""
    paid, sold = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    paid_periods, sold_periods = defaultdict(set), defaultdict(list)
    for e in entries:
        if e["kind"] in CHARGES or e["kind"] == LedgerEntry.Kind.SETUP_FEE:
            paid[e["subscription_id"]] -= e["amount"]
            if e["kind"] in CHARGES:
                paid_periods[e["subscription_id"]].add(e["period_start"])
        elif e["kind"] == LedgerEntry.Kind.SALE:
            sub = subs[e["subscription_id"]]
            assert sub["parent_id"] is not None, f"sale entry {e['pk']} for a DID bought from the operator"
            seller = subs[sub["parent_id"]]["account_id"]
            assert e["account_id"] == seller, f"sale entry {e['pk']} credits the wrong account"
            assert e["amount"] > 0
            sold[e["subscription_id"]] += e["amount"]
            sold_periods[e["subscription_id"]].append(e["period_start"])
    for pk, sub in subs.items():
        if sub["parent_id"] is None:
            continue
        assert sold[pk] == paid[pk], f"subscription {pk} paid {paid[pk]}, its seller was credited {sold[pk]}"
        periods = sold_periods[pk]
        assert len(set(periods)) == len(periods) and set(periods) <= paid_periods[pk]


def check_holders(accounts, subs, holders):
    active = [s for s in subs.values() if s["status"] == Subscription.Status.ACTIVE]
    tops = defaultdict(list)
    children = defaultdict(list)
    held = defaultdict(int)
    for s in active:
        held[(s["did_id"], s["account_id"])] += 1
        if s["parent_id"] is None:
            tops[s["did_id"]].append(s)
            assert accounts[s["account_id"]]["parent_id"] is None, f"subscription {s['pk']} skips the seller"
        else:
            parent = subs[s["parent_id"]]
            children[s["parent_id"]].append(s)
            assert parent["status"] == Subscription.Status.ACTIVE, f"subscription {s['pk']}'s seller no longer holds it"
            assert parent["did_id"] == s["did_id"]
            assert parent["account_id"] == accounts[s["account_id"]]["parent_id"], f"{s['pk']} bought from a stranger"
    assert all(n == 1 for n in held.values()), "an account holds the same DID twice"
    for did_id, holder in holders.items():
        top = tops.get(did_id, [])
        assert len(top) <= 1, f"DID {did_id} has {len(top)} holders"
        assert holder == (top[0]["account_id"] if top else None), f"DID {did_id}'s holder is not its subscriber"
    for parent_id, kids in children.items():
        assert len(kids) == 1, f"subscription {parent_id} is sold on to {len(kids)} accounts at once"


def test_billing_state_machine(db):
    run_state_machine_as_test(BillingMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))
