"""Releasing a DID (the Delete button): the holder hands it back to its
parent's pool; its subscription ends; no refund. Same lock order as purchases:
the DID row first, then its subscriptions.

The accounts that lose the number without having released it themselves (everyone in the
chain when the operator takes a DID back) get a notice (notices.services), in the release's
transaction; the billing run's releases send theirs through billing/subscriptions/notifications.py."""

from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import acting_user
from audit.record import record
from billing.subscriptions.chain import top_down
from billing.ledger.posting import lock_accounts, post
from billing.models import LedgerEntry, Subscription
from dids.models import DIDHistory
from dids.models import DID
from core.locking import lock_did, lock_holdings
from notices.models import Notice
from notices.services import Draft, notify_many
from webhooks import outbox
from webhooks.models import EventType


class ReleaseRefused(Exception):
    pass


def end_subscriptions(subscriptions, accounts: dict, now, by, why: str) -> None:
    """End each subscription (bottom of the chain first): the DID goes back to the
    seller's pool, with a history row and a 0.0000 release line on the holder's
    statement. The caller holds the locks: the DID row, the subscriptions, then
    ``accounts`` (billing.ledger.posting.lock_accounts)."""
    for subscription in subscriptions:
        Subscription.objects.filter(pk=subscription.pk).update(
            status=Subscription.Status.ENDED, ended_at=now, suspended_at=None, grace_until=None
        )
        if subscription.parent_id is None:
            DID.objects.filter(pk=subscription.did_id).update(holder=None)
        number = subscription.did.shown
        post(account=accounts[subscription.account_id], amount=Decimal(0), kind=LedgerEntry.Kind.RELEASE, by=by,
             did=subscription.did, subscription=subscription, idempotency_key=f"release:{subscription.pk}",
             description=f"DID {number} released: {why}")
        DIDHistory.objects.create(
            did_id=subscription.did_id, account_id=subscription.account_id, action=DIDHistory.Action.RELEASED,
            actor=acting_user(by), description=f"{subscription.account}: {why}"[:255],
        )
        holder = accounts[subscription.account_id]
        record("subscription.released", did=subscription.did, account=holder, obj=subscription, by=by,
               summary=f"DID {number} released from {holder}: {why}",
               changes={"status": ("Active", "Ended"), "holder": (f"{holder.name} ({holder.number})", None)})
    # A did.released event to each holder that lost it (webhooks), all in one write.
    outbox.emit_many([outbox.Draft(EventType.DID_RELEASED, s.account_id, {
        "number": s.did.number, "account": accounts[s.account_id].number, "reason": why, "released_at": now,
    }) for s in subscriptions])


def _active_chain(did_id: int) -> list[Subscription]:
    """The DID's active subscriptions, top-level holder first."""
    return top_down(lock_holdings(Subscription.objects.filter(did_id=did_id, status="active")
                                  .select_related("did", "account")))


def release_did(*, account_id: int, did_id: int, by=None, now=None) -> str:
    """The holder ``account_id`` releases ``did_id``. Returns the DID as shown (+1 855-580-1802)."""
    now = now or timezone.now()
    with transaction.atomic():
        did = lock_did(DID.objects.filter(pk=did_id))
        chain = _active_chain(did_id) if did else []
        mine = next((s for s in chain if s.account_id == account_id), None)
        if mine is None:
            raise ReleaseRefused("You do not hold this DID.")
        below = chain[chain.index(mine) + 1 :]
        if below:
            raise ReleaseRefused(
                f"DID {did.shown} is sold on to {below[0].account}. It can be released once they release it."
            )
        # No notice: nobody is below it (refused above), and the holder released it itself.
        end_subscriptions([mine], lock_accounts([mine.account_id]), now, by, "released by the holder (no refund)")
        return did.shown


def admin_release_did(*, did_id: int, by=None, now=None) -> int:
    """The operator takes a DID back: the whole chain below it ends, bottom first.
    Returns how many subscriptions ended."""
    now = now or timezone.now()
    with transaction.atomic():
        did = lock_did(DID.objects.filter(pk=did_id))
        if did is None:
            raise DID.DoesNotExist(f"No DID {did_id}.")
        chain = _active_chain(did.pk)
        accounts = lock_accounts([s.account_id for s in chain])
        end_subscriptions(list(reversed(chain)), accounts, now, by, "released by the operator (no refund)")
        _tell_who_lost_it(chain, accounts, did, "the operator took the number back (no refund)")
        return len(chain)


def _tell_who_lost_it(lost, accounts: dict, did, why: str) -> None:
    """A notice to each account of ``lost``: each lost the DID without releasing it itself."""
    notify_many([
        Draft(accounts[s.account_id], Notice.Kind.RELEASED, f"DID {did.shown} released",
              f"DID {did.shown} has been released: {why}. Its calls no longer reach you.",
              link=reverse("billing:statement"))
        for s in lost
    ])
