"""The billing run's notices about subscriptions: renewal due with funds short (before the
renewal), renewal failed / suspended, reinstated, released. Each goes through notices.services
(notify_many): in the portal's notices and, by the account's choice, by e-mail.

Each notice is recorded (billing.models.Notification) with a unique key per subscription, kind
and period, so an hourly run does not repeat it (the Notice carries the same key, unique per
account and kind). Notices are written in the billing batch's transaction and their e-mails leave
only after it commits: a rolled-back batch sends nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from billing.models import Notification, Subscription
from billing.subscriptions.holdings import SHORT_OF_FUNDS, renewals_due
from core.money import fmt_page
from notices.models import Notice
from notices.services import Draft, notify_many

# The billing run's kinds of notice as the portal's notices name them.
NOTICE_KINDS = {
    Notification.Kind.LOW_BALANCE: Notice.Kind.RENEWAL_SHORT,
    Notification.Kind.SUSPENDED: Notice.Kind.SUSPENDED,
    Notification.Kind.REINSTATED: Notice.Kind.REINSTATED,
    Notification.Kind.RELEASED: Notice.Kind.RELEASED,
}


class Notices:
    def __init__(self, now):
        self.now = now
        self._pending: list[tuple] = []

    def add(self, sub: Subscription, kind: str, period_start, subject: str, body: str) -> None:
        self._pending.append((sub, kind, period_start, subject, body))

    def send_on_commit(self) -> int:
        """Write the notices not sent before (in the current transaction); their e-mails leave
        once it commits."""
        if not self._pending:
            return 0
        subs = {p[0].pk for p in self._pending}
        sent = set(
            Notification.objects.filter(subscription_id__in=subs).values_list("subscription_id", "kind", "period_start")
        )
        todo, drafts = [], []
        for sub, kind, period_start, subject, body in self._pending:
            key = (sub.pk, kind, period_start)
            if key in sent:
                continue
            sent.add(key)
            todo.append((sub, kind, period_start, subject))
            drafts.append(Draft(sub.account, NOTICE_KINDS[kind], subject, body, link=_link(sub, kind),
                                dedupe_key=f"subscription {sub.pk} from {period_start.isoformat()}"))
        notices = notify_many(drafts)
        Notification.objects.bulk_create([
            Notification(subscription=sub, account_id=sub.account_id, kind=kind, period_start=period_start,
                         email=notice.emailed_to, subject=subject[:200], sent_at=self.now)
            for (sub, kind, period_start, subject), notice in zip(todo, notices)
        ])
        self._pending = []
        return len(todo)

    @staticmethod
    def low_balance(now) -> int:
        """Warn each account whose funds will not cover a renewal due within
        LOW_BALANCE_NOTICE_DAYS; once per subscription and period."""
        already = Notification.objects.filter(
            subscription=OuterRef("pk"), kind=Notification.Kind.LOW_BALANCE, period_start=OuterRef("period_end")
        )
        short = (
            renewals_due(Subscription.objects.all(), now, timedelta(days=settings.LOW_BALANCE_NOTICE_DAYS))
            .filter(SHORT_OF_FUNDS).exclude(Exists(already)).select_related("account", "did")
        )
        notices = Notices(now)
        for sub in short:
            notices.add(
                sub, Notification.Kind.LOW_BALANCE, sub.period_end, f"DID {sub.did.shown}: low balance before renewal",
                f"DID {sub.did.shown} renews on {sub.period_end:%Y-%m-%d %H:%M} for about {fmt_page(sub.price)} USD; "
                f"you have {fmt_page(sub.account.balance.amount + sub.account.credit_limit.amount)} USD available. "
                "Add funds to keep the number.",
            )
        with transaction.atomic():
            return notices.send_on_commit()


def _link(sub: Subscription, kind: str) -> str:
    """Where the notice leads: the DID's row on the account's DIDs page; for a DID it no longer
    holds, its statement (which has the release line)."""
    if kind == Notification.Kind.RELEASED:
        return reverse("billing:statement")
    return f"{reverse('resellers:dids')}?number={sub.did.digits}"
