"""What an account is told: in-app notices, and which kinds of them also go by e-mail.

A Notice is written in the transaction of the change it is about (notices/services.py); its
e-mail leaves only after that transaction commits. Each account chooses, per kind, whether a
notice also comes by e-mail: a kind it turned off has an EmailOptOut row, so an account that
never chose anything gets every kind by e-mail (as before notices existed).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account


class Notice(models.Model):
    class Kind(models.TextChoices):
        LOW_BALANCE = "low_balance", "Low balance"
        RENEWAL_SHORT = "renewal_short", "Renewal due, funds short"
        SUSPENDED = "suspended", "Suspended: renewal failed"
        REINSTATED = "reinstated", "Reinstated: renewal paid"
        RELEASED = "released", "DID released"
        PRICE_CHANGED = "price_changed", "Price change by your seller"

    # Indexed by notice_account_newest (account first), not on its own.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notices", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # A path in the portal the notice is about ("/portal/statement/"); blank: none.
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Where its e-mail went; blank: no e-mail (no address, or the account chose in-app only).
    emailed_to = models.EmailField(blank=True)
    # For kinds that must not repeat (the billing run's: a subscription, kind and period), a key
    # unique per account and kind; null for kinds that may (low balance, price changes).
    dedupe_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "dedupe_key"], condition=Q(dedupe_key__isnull=False),
                                    name="notice_once_per_key"),
        ]
        indexes = [
            # The notices page: an account's notices, newest first (keyset pages).
            models.Index(fields=["account", "-created_at", "-id"], name="notice_account_newest"),
            # The header's unread count and the unread ones newest first: only unread rows.
            models.Index(fields=["account", "-created_at"], condition=Q(read_at__isnull=True),
                         name="notice_account_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.subject}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class EmailOptOut(models.Model):
    """A kind of notice this account reads in the portal only: no e-mail. No row: by e-mail."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="email_opt_outs", db_index=False)
    kind = models.CharField(max_length=20, choices=Notice.Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="email_opt_out_once")]

    def __str__(self) -> str:
        return f"{self.account_id}: no e-mail for {self.kind}"
