"""Emails about subscriptions, through Django's email framework (console backend
unless SMTP is configured): renewal failed / suspended, reinstated, released,
and a low-balance warning before a renewal.

Each notice is recorded (billing.models.Notification) with a unique key per
subscription, kind and period, so an hourly run does not repeat it. Emails leave
only after the billing batch commits: a rolled-back batch sends nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, ExpressionWrapper, F, OuterRef
from djmoney.models.fields import MoneyField

from billing.models import Notification, Subscription
from core.money import fmt
from dids.models import DID


class Notices:
    def __init__(self, now):
        self.now = now
        self._pending: list[tuple] = []

    def add(self, sub: Subscription, kind: str, period_start, subject: str, body: str) -> None:
        self._pending.append((sub, kind, period_start, subject, body))

    def send_on_commit(self) -> int:
        """Record the notices not sent before and send them once the transaction commits."""
        if not self._pending:
            return 0
        subs = {p[0].pk for p in self._pending}
        sent = set(
            Notification.objects.filter(subscription_id__in=subs).values_list("subscription_id", "kind", "period_start")
        )
        rows, emails = [], []
        for sub, kind, period_start, subject, body in self._pending:
            key = (sub.pk, kind, period_start)
            if key in sent:
                continue
            sent.add(key)
            address = sub.account.email
            rows.append(Notification(subscription=sub, account_id=sub.account_id, kind=kind, period_start=period_start,
                                     email=address, subject=subject[:200], sent_at=self.now))
            if address:
                emails.append(EmailMessage(subject, f"{sub.account.name} ({sub.account.number}),\n\n{body}\n",
                                           settings.DEFAULT_FROM_EMAIL, [address]))
        Notification.objects.bulk_create(rows)
        self._pending = []
        _send_on_commit(emails)
        return len(rows)

    @staticmethod
    def low_balance(now) -> int:
        """Warn each account whose funds will not cover a renewal due within
        LOW_BALANCE_NOTICE_DAYS; once per subscription and period."""
        horizon = now + timedelta(days=settings.LOW_BALANCE_NOTICE_DAYS)
        already = Notification.objects.filter(
            subscription=OuterRef("pk"), kind=Notification.Kind.LOW_BALANCE, period_start=OuterRef("period_end")
        )
        available = ExpressionWrapper(F("account__balance") + F("account__credit_limit"),
                                      output_field=MoneyField(max_digits=14, decimal_places=4))
        short = (
            Subscription.objects.filter(
                status=Subscription.Status.ACTIVE, grace_until__isnull=True, billing_type=DID.BillingType.RECURRING,
                period_end__gt=now, period_end__lte=horizon,
            )
            .annotate(available=available).filter(price__gt=F("available")).exclude(Exists(already))
            .select_related("account", "did")
        )
        notices = Notices(now)
        for sub in short:
            notices.add(
                sub, Notification.Kind.LOW_BALANCE, sub.period_end, f"DID {sub.did.digits}: low balance before renewal",
                f"DID {sub.did.digits} renews on {sub.period_end:%Y-%m-%d %H:%M} for about {fmt(sub.price)} USD; "
                f"you have {fmt(sub.account.balance.amount + sub.account.credit_limit.amount)} USD available. "
                "Add funds to keep the number.",
            )
        with transaction.atomic():
            return notices.send_on_commit()


def _send_on_commit(emails: list[EmailMessage]) -> None:
    if emails:
        transaction.on_commit(lambda: get_connection(fail_silently=True).send_messages(emails))
