"""Faults on PostgreSQL: the database connection of a purchase, a release and a billing run
is killed in the middle of its transaction (``pg_terminate_backend`` from the test's own
connection), then we look with another connection: nothing of the failed operation is
left, and doing it again works, once.

The operation runs in a real thread with its own connection. A hook placed inside the
transaction, after its first writes (right after a ledger post or a ledger batch flush),
stops it; the test checks in pg_stat_activity that the session is idle *in a transaction
that has written* (it has a transaction id), terminates the backend, and lets the thread
go on into the dead connection. Nothing of the database is mocked.
"""

import io
import threading
from datetime import timedelta
from decimal import Decimal

import psycopg2
import pytest
from django.core import mail
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

import billing.subscriptions.purchase
import billing.subscriptions.release
import billing.subscriptions.renewals
from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.ledger.batch import LedgerBatch
from billing.ledger.checks import balance_mismatches
from billing.models import LedgerEntry, Notification, Subscription
from dids.models import DIDHistory
from billing.subscriptions.purchase import PurchaseResult, purchase_did
from billing.subscriptions.release import ReleaseRefused, release_did
from billing.subscriptions.renewals import run_billing
from dids.models import DID
from tests.factories import DIDFactory, make_account_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]  # threads see committed rows only

D = Decimal
T0 = timezone.make_aware(timezone.datetime(2026, 3, 1, 12, 0))


# --- the machinery ---------------------------------------------------------------------------

class Paused:
    """Run ``call`` in its own thread (its own connection); ``hook()``, called from code
    patched into the operation, stops it there until the test says ``resume``."""

    def __init__(self, call):
        self.call = call
        self.pid = None
        self.paused = False
        self.outcome = None
        self.at_hook = threading.Event()
        self.resume = threading.Event()
        self.thread = threading.Thread(target=self._run, name="fault-victim", daemon=True)

    def _run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.outcome = self.call()
        except BaseException as error:  # the test inspects it
            self.outcome = error
        finally:
            try:
                connection.close()
            except Exception:  # the connection is dead; closing it may complain
                pass
            self.at_hook.set()  # never leave the test waiting when the hook was not reached

    def hook(self):
        if threading.current_thread() is not self.thread or self.paused:
            return
        self.paused = True
        self.at_hook.set()
        assert self.resume.wait(20), "the test never resumed the operation"


def session(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()


def kill_in_the_middle(victim: Paused):
    """Start the operation, wait for it at its hook, terminate its backend, let it continue."""
    victim.thread.start()
    assert victim.at_hook.wait(20)
    assert victim.paused, f"the operation never reached its hook: {victim.outcome!r}"
    # In the middle: a transaction is open and has written (PostgreSQL gave it an xid).
    assert session(victim.pid) == ("idle in transaction", True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [victim.pid])  # waits until it is gone
        assert cursor.fetchone()[0] is True
    assert session(victim.pid) is None
    victim.resume.set()
    victim.thread.join(20)
    assert not victim.thread.is_alive()
    assert isinstance(victim.outcome, (OperationalError, InterfaceError)), repr(victim.outcome)


def snapshot():
    """Everything an operation could have left behind, read with a fresh connection."""
    connection.close()
    return {
        "balances": dict(Account.objects.values_list("pk", "balance")),
        "ledger": sorted(LedgerEntry.objects.values_list("pk", "account_id", "seq", "kind", "amount")),
        "subscriptions": sorted(Subscription.objects.values_list(
            "pk", "account_id", "status", "period_start", "period_end", "price", "suspended_at", "grace_until",
            "last_attempt_at")),
        "holders": dict(DID.objects.values_list("pk", "holder_id")),
        "history": DIDHistory.objects.count(),
        "notifications": Notification.objects.count(),
    }


def funded(amount, **kwargs) -> Account:
    account = make_account_user(**kwargs).account
    add_funds(account_id=account.pk, amount=D(amount))
    return account


def after_post(monkeypatch, module, victim, name="post"):
    """Pause ``victim`` right after the first ledger post ``module`` makes (its first writes are done)
    through its function ``name`` (post, or post_many for the purchase's entries at once)."""
    real = getattr(module, name)

    def post_then_pause(*args, **kwargs):
        entry = real(*args, **kwargs)
        victim.hook()
        return entry

    monkeypatch.setattr(module, name, post_then_pause)


# --- purchase ----------------------------------------------------------------------------------

@pytest.mark.parametrize("buyer_kind", ["reseller from the operator", "customer from its reseller"])
def test_a_purchase_killed_in_the_middle_leaves_nothing_and_a_retry_charges_once(monkeypatch, buyer_kind):
    did = DIDFactory(setup_fee="5", monthly_fee="20")
    reseller = funded("100")
    buyer = reseller
    if buyer_kind == "customer from its reseller":
        purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key="reseller-buys", sell_setup_fee=D("2"),
                     sell_price=D("30"))
        buyer = funded("100", kind=Account.Kind.CUSTOMER, parent=reseller)
    charge = D("25") if buyer is reseller else D("32")
    before = snapshot()

    victim = Paused(lambda: purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key="page-view-1"))
    # After the ledger entries: a subscription, its entries and the balances written.
    after_post(monkeypatch, billing.subscriptions.purchase, victim, name="post_many")
    kill_in_the_middle(victim)

    assert snapshot() == before  # no subscription, no entry, no balance change, the same holder, no history
    assert balance_mismatches() == []
    assert not Subscription.objects.filter(purchase_key="page-view-1").exists()

    monkeypatch.undo()
    done = purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key="page-view-1")  # the browser's retry
    again = purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key="page-view-1")  # and once more
    assert isinstance(done, PurchaseResult) and not done.repeated and done.charged == charge
    assert again.repeated and again.subscription.pk == done.subscription.pk
    assert Account.objects.get(pk=buyer.pk).balance.amount == D("100") - charge
    assert LedgerEntry.objects.filter(subscription=done.subscription, account=buyer).count() == 2
    if buyer is reseller:
        assert DID.objects.get(pk=did.pk).holder_id == buyer.pk
    else:
        sale = LedgerEntry.objects.get(subscription=done.subscription, kind=LedgerEntry.Kind.SALE)
        assert sale.account_id == reseller.pk and sale.amount.amount == charge
        assert DID.objects.get(pk=did.pk).holder_id == reseller.pk
    assert balance_mismatches() == []


# --- release -----------------------------------------------------------------------------------

def test_a_release_killed_in_the_middle_leaves_the_did_held_and_a_retry_releases_once(monkeypatch):
    did = DIDFactory(setup_fee="5", monthly_fee="20")
    reseller = funded("100")
    bought = purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key="bought")
    before = snapshot()

    victim = Paused(lambda: release_did(account_id=reseller.pk, did_id=did.pk))
    # After the subscription ended, the DID's holder was cleared and the release line was posted.
    after_post(monkeypatch, billing.subscriptions.release, victim)
    kill_in_the_middle(victim)

    assert snapshot() == before
    assert balance_mismatches() == []
    assert DID.objects.get(pk=did.pk).holder_id == reseller.pk
    assert Subscription.objects.get(pk=bought.subscription.pk).status == Subscription.Status.ACTIVE
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).exists()

    monkeypatch.undo()
    assert release_did(account_id=reseller.pk, did_id=did.pk) == did.shown
    with pytest.raises(ReleaseRefused, match="You do not hold this DID"):
        release_did(account_id=reseller.pk, did_id=did.pk)
    assert DID.objects.get(pk=did.pk).holder_id is None
    assert Subscription.objects.get(pk=bought.subscription.pk).status == Subscription.Status.ENDED
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE, account=reseller).count() == 1
    assert Account.objects.get(pk=reseller.pk).balance.amount == D("75")
    assert balance_mismatches() == []


# --- billing run -------------------------------------------------------------------------------

def billing_world():
    """Two funded resellers (one sells a DID on to a customer) and one that cannot pay its renewals:
    seven subscriptions on six DIDs, all due once at T0 + 11 days (the grace of the unpaid ones runs to T0 + 13)."""
    r0, r1 = funded("100"), funded("100")
    short = funded("20")  # pays its two first periods, then nothing is left for the renewals
    c0 = funded("100", kind=Account.Kind.CUSTOMER, parent=r0)
    dids = [DIDFactory(setup_fee="0", monthly_fee="10", billing_days=10) for _ in range(6)]
    for n, (owner, did) in enumerate(zip([r0, r0, r1, r1, short, short], dids)):
        purchase_did(buyer_id=owner.pk, did_id=did.pk, purchase_key=f"world-{n}", now=T0)
        if n == 1:
            purchase_did(buyer_id=c0.pk, did_id=did.pk, purchase_key="world-c0", now=T0)
    return dids


def audit_is_clean(now):
    out = io.StringIO()
    call_command("billing_audit", now=now.isoformat(), stdout=out)  # CommandError when anything is found
    return "Billing audit OK" in out.getvalue()


@pytest.mark.parametrize("die_in_batch", [1, 2])
def test_a_billing_run_killed_in_a_batch_keeps_the_committed_batches_and_a_rerun_settles_the_rest_once(
        monkeypatch, die_in_batch):
    billing_world()
    now = T0 + timedelta(days=11)
    due = sorted(Subscription.objects.filter(status="active").values_list("pk", flat=True))
    before = snapshot()

    claimed: list[list[int]] = []
    real_claim, real_flush = billing.subscriptions.renewals.claim_due_dids, LedgerBatch.flush

    def claim(now, limit):
        did_ids = real_claim(now, limit)
        if did_ids:
            claimed.append(did_ids)
        return did_ids

    def flush_then_pause(self):
        wrote = bool(self._rows)
        real_flush(self)  # the batch's renewals and sales are written, its balances moved
        if wrote and len(claimed) == die_in_batch:
            victim.hook()

    victim = Paused(lambda: run_billing(now=now, batch_size=2))
    monkeypatch.setattr(billing.subscriptions.renewals, "claim_due_dids", claim)
    monkeypatch.setattr(LedgerBatch, "flush", flush_then_pause)
    kill_in_the_middle(victim)

    after = snapshot()
    assert balance_mismatches() == []
    assert mail.outbox == [] and after["notifications"] == before["notifications"]
    committed = {d for batch in claimed[:die_in_batch - 1] for d in batch}
    assert len(claimed) == die_in_batch and bool(committed) == (die_in_batch > 1)
    renewals = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RENEWAL)
    assert set(renewals.values_list("did_id", flat=True)) == committed  # whole batches, nothing of the killed one
    old_subs = {row[0]: row for row in before["subscriptions"]}
    for row in after["subscriptions"]:
        sub = Subscription.objects.select_related("did").get(pk=row[0])
        if sub.did_id in committed:  # settled: renewed once, the next period ahead
            assert sub.period_end > now and renewals.filter(subscription=sub).count() == 1
        else:  # untouched
            assert row == old_subs[row[0]]
    if die_in_batch == 1:
        assert after == before

    monkeypatch.undo()
    report = run_billing(now=now, batch_size=2)
    assert report.renewed == 5 - sum(1 for s in due if Subscription.objects.get(pk=s).did_id in committed)
    assert report.suspended == 2
    again = run_billing(now=now, batch_size=2)
    assert (again.renewed, again.suspended, again.batches) == (0, 0, 0)
    charges = list(LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RENEWAL).values_list("subscription_id",
                                                                                       "period_start"))
    assert len(charges) == len(set(charges)) == 5  # every funded subscription renewed exactly once
    assert Subscription.objects.filter(grace_until__isnull=False).count() == 2
    assert balance_mismatches() == []
    assert audit_is_clean(now)


# --- the web worker's side ---------------------------------------------------------------------

def test_a_web_workers_connection_killed_between_requests_is_replaced_at_the_next_one():
    """CONN_MAX_AGE keeps a worker's connection between requests; if the database drops it
    (a restart, a failover, an administrator), CONN_HEALTH_CHECKS notices at the next request
    and reconnects instead of failing it."""
    handler = WSGIHandler()

    def get(path):
        statuses = []
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
                   "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO()}
        response = handler(environ, lambda status, headers: statuses.append(status))
        response.close()  # request_finished, as a WSGI server does
        return statuses[0]

    assert get("/healthz").startswith("200")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    killer = psycopg2.connect(**connection.get_connection_params())
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone()[0] is True
    finally:
        killer.close()
    assert get("/healthz").startswith("200")
