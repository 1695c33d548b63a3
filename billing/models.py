"""Money over time: the append-only ledger.

Every change of an account's balance is one LedgerEntry, written in the same
transaction as the balance update, with the account row locked. On PostgreSQL,
triggers (migration 0002) make the ledger immutable and check at commit that
each entry continues its account's chain and that the account's balance equals
its last entry's balance_after, so balance == sum(entries) is kept by the
database itself, not only by our code.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from djmoney.models.fields import MoneyField

from accounts.models import Account
from dids.models import DID

MONEY = dict(max_digits=14, decimal_places=4, default_currency="USD")


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        FUNDS_ADDED = "funds_added", "Funds added"
        SETUP_FEE = "setup_fee", "Setup fee"
        DID_PRICE = "did_price", "DID price"
        RENEWAL = "renewal", "Renewal"
        CALL_CHARGES = "call_charges", "Call charges"
        ADJUSTMENT = "adjustment", "Adjustment"
        SALE = "sale", "Sale to account"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="ledger_entries")
    # Per-account sequence: 1, 2, 3... The unique pair forbids forks in the chain.
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = MoneyField(**MONEY)
    balance_before = MoneyField(**MONEY)
    balance_after = MoneyField(**MONEY)
    did = models.ForeignKey(DID, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A unique key per intended action: a retried request finds the first result.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["account", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["account", "seq"], name="ledger_one_entry_per_seq"),
            models.CheckConstraint(
                condition=Q(balance_after=F("balance_before") + F("amount")),
                name="ledger_balance_after_adds_up",
            ),
            models.CheckConstraint(condition=~Q(amount=0) | Q(kind="adjustment"), name="ledger_amount_not_zero"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_seq_positive"),
        ]
        indexes = [models.Index(fields=["account", "-created_at"], name="ledger_account_created")]

    def __str__(self) -> str:
        return f"{self.account.number} #{self.seq} {self.kind} {self.amount}"
