"""Holdings: an account's active subscriptions on DIDs, as the pages and services look
them up. Three questions, three names:

- ``holding(did, account)``: what ``account`` holds on the DID (None if nothing);
- ``unsold_holdings(account)``: what ``account`` holds and has not sold on (its pool);
- ``seller_holding(buyer, did)``: the holding ``buyer`` would buy the DID from: its
  parent's, unsold (None when the parent is the operator).
"""

from datetime import timedelta

from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q

from billing.models import Subscription
from core.locking import lock_holding
from dids.models import DID

ACTIVE = Subscription.Status.ACTIVE


def holding(did_id: int, account_id: int) -> Subscription | None:
    """``account_id``'s active subscription on the DID."""
    return Subscription.objects.filter(did_id=did_id, account_id=account_id, status=ACTIVE).first()


def unsold_holdings(account_id: int):
    """``account_id``'s active subscriptions that it has not sold on (a queryset)."""
    sold_on = Subscription.objects.filter(parent=OuterRef("pk"), status=ACTIVE)
    return Subscription.objects.filter(account_id=account_id, status=ACTIVE).exclude(Exists(sold_on))


def seller_holding(buyer, did_id: int) -> Subscription | None:
    """The parent's unsold holding ``buyer`` would buy the DID from (None for the operator)."""
    if buyer.parent_id is None:
        return None
    return unsold_holdings(buyer.parent_id).filter(did_id=did_id).first()


def locked_holding(did_id: int, account_id: int) -> Subscription | None:
    """``holding``, locked (core/locking.py: after the DID, before accounts)."""
    return lock_holding(Subscription.objects.filter(did_id=did_id, account_id=account_id, status=ACTIVE))


def renewals_due(subscriptions, now, within: timedelta):
    """The recurring holdings among ``subscriptions`` in good standing (not in grace) whose period
    ends within ``within`` after ``now``, each annotated with ``available``: its account's balance +
    credit limit, what the renewal may take (billing/subscriptions/renewals.py)."""
    return subscriptions.filter(
        status=ACTIVE, grace_until__isnull=True, billing_type=DID.BillingType.RECURRING,
        period_end__gt=now, period_end__lte=now + within,
    ).annotate(available=ExpressionWrapper(F("account__balance") + F("account__credit_limit"),
                                           output_field=DecimalField(max_digits=16, decimal_places=4)))


# A renewal due (renewals_due) that its account's funds do not cover: the billing run's notice
# "renewal due, funds short" and the dashboards' "without the funds to pay".
SHORT_OF_FUNDS = Q(price__gt=F("available"))
