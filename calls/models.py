"""Inbound calls: the CDR files imported, each call once, and what each level of
the DID's chain was charged for it (DESIGN.md section 6; calls/importing/)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan

from accounts.models import Account
from dids.models import DID


class CallImport(models.Model):
    """One CDR file rated and charged: its counts, so it can be reported."""

    class Source(models.TextChoices):
        BROWSER = "browser", "CSV upload"
        COMMAND = "command", "manage.py rate_cdrs"

    source = models.CharField(max_length=10, choices=Source.choices)
    filename = models.CharField(max_length=255, blank=True)
    checksum = models.CharField(max_length=64, blank=True)  # SHA-256 of the file
    rows_read = models.PositiveIntegerField(default=0)
    charged = models.PositiveIntegerField(default=0)  # calls rated and charged by this import
    already_charged = models.PositiveIntegerField(default=0)  # call ids charged before (idempotent re-import)
    invalid = models.PositiveIntegerField(default=0)  # rejected rows: bad values, unknown DIDs, no holder
    # More rows of a call charged on another row (Asterisk's CDR per Dial attempt, same uniqueid).
    other_legs = models.PositiveIntegerField(default=0)
    file_format = models.CharField(max_length=100, blank=True)  # as read: "Asterisk Master.csv, 17 columns (...)"
    time_zone = models.CharField(max_length=64, blank=True)  # of the times written without a UTC offset
    country = models.CharField(max_length=2, blank=True)  # DIDs without a calling code were read in it
    total = models.DecimalField(max_digits=16, decimal_places=4, default=0)  # charged to first-level holders
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"CDR import #{self.pk}"


class Call(models.Model):
    """One inbound call, charged once: its call id has at most one answered row (the charged one)
    and one unanswered row (stored free before the answered row came), so a re-import is harmless
    and a call first seen unanswered is charged when it arrives answered, once."""

    call_id = models.CharField("Call ID", max_length=128)
    # Indexes: every one is written by every imported call, so only those the pages and the
    # import read (call_did_started serves the DID's own lookups; imports are never deleted).
    did = models.ForeignKey(DID, on_delete=models.PROTECT, related_name="calls", db_index=False, db_constraint=False)
    started_at = models.DateTimeField("Start")
    billsec = models.PositiveIntegerField("Answered (sec.)")
    # References without a database foreign key: see REFERENCES below.
    import_batch = models.ForeignKey(CallImport, on_delete=models.PROTECT, related_name="calls", db_index=False,
                                     db_constraint=False)

    class Meta:
        # (call_id, answered): the idempotency key. Its leading call_id serves the "charged before" lookup.
        constraints = [models.UniqueConstraint(F("call_id"), GreaterThan(F("billsec"), 0), name="call_answered_once")]
        indexes = [
            models.Index(fields=["did", "started_at"], name="call_did_started"),
            models.Index(fields=["-started_at", "-id"], name="call_started"),  # the admin's calls page, newest first
        ]

    def __str__(self) -> str:
        return self.call_id


class CallCharge(models.Model):
    """What one level of the chain paid for one call, at the rates it buys at
    (the DID's for the first holder, its seller's SELL COST rates below)."""

    # No single-column indexes: the unique (call, level) and the two (account, start) ones lead with these.
    # References without database foreign keys: see REFERENCES below.
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="charges", db_index=False,
                             db_constraint=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="call_charges", db_index=False,
                                db_constraint=False)
    # Who was paid: the account above (a reseller), null for the operator.
    seller = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               db_index=False, db_constraint=False)
    level = models.PositiveSmallIntegerField()  # 1 = the first holder (bought from the operator)
    amount = models.DecimalField(max_digits=14, decimal_places=4)
    started_at = models.DateTimeField()  # the call's, copied so an account's calls page is one index scan

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "level"], name="call_one_charge_per_level"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="call_charge_not_negative"),
            models.CheckConstraint(condition=Q(level__gte=1), name="call_charge_level_positive"),
        ]
        indexes = [
            models.Index(fields=["account", "-started_at", "-id"], name="callcharge_account_started"),
            models.Index(fields=["seller", "-started_at", "-id"], name="callcharge_seller_started"),
        ]


# Why the five references of calls and charges have no database foreign key (docs/cdr-import.md,
# "Speed"): PostgreSQL checks a foreign key row by row, and for a million calls (1.7 million charges)
# those checks took 30 of the import's 60 seconds. The import writes calls and charges only with
# parents it created or read in its own transaction, and checks every row it wrote against them in
# set-based queries before it commits (calls.importing.pipeline.verify_references). Afterwards no
# parent can go: calls, charges and CDR imports refuse DELETE in the database (migration 0002); a DID
# or an account with calls had a subscription then, and subscriptions (never deleted) keep their
# database foreign keys to both, as ledger entries do to accounts.
REFERENCES = [(Call, "did", DID), (Call, "import_batch", CallImport), (CallCharge, "call", Call),
              (CallCharge, "account", Account), (CallCharge, "seller", Account)]
