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
from django.utils import timezone
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
        # A reseller's credit for the calls of the account below it, at its SELL COST rates.
        CALL_SALES = "call_sales", "Call charges to account below"
        ADJUSTMENT = "adjustment", "Adjustment"
        # A customer paid its reseller outside the portal (cash, bank transfer); the reseller records it.
        PAYMENT = "payment", "Payment received"
        SALE = "sale", "Sale to account"
        RELEASE = "release", "Release"  # amount 0: the statement says when and why a DID was lost

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="ledger_entries")
    # Per-account sequence: 1, 2, 3... The unique pair forbids forks in the chain.
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = MoneyField(**MONEY)
    balance_before = MoneyField(**MONEY)
    balance_after = MoneyField(**MONEY)
    did = models.ForeignKey(DID, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    # The subscription a DID charge, sale or release belongs to (for a sale: the buyer's).
    subscription = models.ForeignKey(
        "Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
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
            # balance_after = balance_before + amount is checked on PostgreSQL only
            # (migration 0004): SQLite would compare the decimals as floats.
            # A free DID's period is still a charge of 0: one charge entry per period, always.
            models.CheckConstraint(
                condition=~Q(amount=0) | Q(kind__in=["adjustment", "did_price", "renewal", "release"]),
                name="ledger_amount_not_zero",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_seq_positive"),
            # Exactly once: one charge per subscription per period (the purchase's first
            # period or a renewal), and one matching credit to the seller.
            models.UniqueConstraint(
                fields=["subscription", "period_start"], condition=Q(kind__in=["did_price", "renewal"]),
                name="ledger_one_charge_per_period",
            ),
            models.UniqueConstraint(
                fields=["subscription", "period_start"], condition=Q(kind="sale"), name="ledger_one_sale_per_period",
            ),
        ]
        indexes = [models.Index(fields=["account", "-created_at"], name="ledger_account_created")]

    def __str__(self) -> str:
        return f"{self.account.number} #{self.seq} {self.kind} {self.amount}"


class Subscription(models.Model):
    """One account's hold on one DID, bought from its parent (or the operator).

    A DID sold down the tree has a chain: the top-level buyer's subscription
    (``parent`` null) and below it one subscription per level (``parent`` = the
    seller's subscription). The prices are a snapshot taken at purchase.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    did = models.ForeignKey(DID, on_delete=models.PROTECT, related_name="subscriptions")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="subscriptions")
    # The seller's own subscription on this DID; null when bought from the operator.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    # BUY COST: what this account pays its seller (snapshot at purchase).
    setup_fee = MoneyField(**MONEY)
    price = MoneyField(**MONEY)
    billing_type = models.CharField(max_length=10, choices=DID.BillingType.choices)
    billing_days = models.PositiveIntegerField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()

    # SELL COST: what this account charges the accounts below it (default for all of them).
    sell_setup_fee = MoneyField(**MONEY)
    sell_price = MoneyField(**MONEY)

    # The start of the first period (the purchase's clock, which --now can move).
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Renewal failed for want of funds: the DID is kept but suspended until it is
    # paid or released at ``grace_until`` (billing/subscriptions/renewals.py). Null = in good standing.
    suspended_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    # The clock of the last billing run that tried and could not settle it: that run
    # does not take it again; the next run (a later clock) retries it.
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The key of the purchase request: a retried or double-submitted purchase finds this row.
    purchase_key = models.CharField(max_length=64, unique=True)

    # SELL COST per-call rates (DESIGN.md section 6) for the account below: all five set, or
    # all null = the same rates this account pays (they follow the level above). dids/call_rates.py.
    sell_connection_cost = MoneyField("Connection Cost", null=True, blank=True, **MONEY)
    sell_grace_time = models.PositiveIntegerField("Grace Time (Sec.)", null=True, blank=True)
    sell_cost_per_min = MoneyField("Cost/Min", null=True, blank=True, **MONEY)
    sell_initial_increment = models.PositiveIntegerField("Initial Increment", null=True, blank=True)
    sell_increment = models.PositiveIntegerField("Increment", null=True, blank=True)

    # Where the DID's calls go while this account is the last level of the chain (DESIGN.md
    # section 7); set by the holder, served to the switch by routing/. Blank = not set yet.
    class CallType(models.TextChoices):
        SIP_URI = "sip_uri", "SIP URI"
        SIP_DEVICE = "sip_device", "SIP device/extension"
        PSTN = "pstn", "PSTN number"

    call_type = models.CharField("Call Type", max_length=12, choices=CallType.choices, blank=True)
    destination = models.CharField("Destination", max_length=255, blank=True)

    class Meta:
        constraints = [
            # One holder per DID: a single active top-level subscription...
            models.UniqueConstraint(
                fields=["did"], condition=Q(status="active", parent__isnull=True), name="sub_one_top_holder_per_did"
            ),
            # ...and each holder sells it on to at most one account at a time.
            models.UniqueConstraint(
                fields=["parent"], condition=Q(status="active", parent__isnull=False), name="sub_one_buyer_per_seller"
            ),
            models.CheckConstraint(
                condition=Q(setup_fee__gte=0, price__gte=0, sell_setup_fee__gte=0, sell_price__gte=0),
                name="sub_money_not_negative",
            ),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="sub_period_not_empty"),
            models.CheckConstraint(
                condition=Q(sell_connection_cost__isnull=True, sell_grace_time__isnull=True,
                            sell_cost_per_min__isnull=True, sell_initial_increment__isnull=True,
                            sell_increment__isnull=True)
                | Q(sell_connection_cost__gte=0, sell_grace_time__isnull=False, sell_cost_per_min__gte=0,
                    sell_initial_increment__isnull=False, sell_increment__gte=1),
                name="sub_sell_rates_all_or_none",
            ),
            models.CheckConstraint(
                condition=Q(call_type="", destination="") | (~Q(call_type="") & ~Q(destination="")),
                name="sub_destination_with_type",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="sub_account_status"),
            # The billing run's queue: active subscriptions by the end of their period.
            models.Index(fields=["period_end"], condition=Q(status="active"), name="sub_due"),
        ]

    def __str__(self) -> str:
        return f"{self.did} held by {self.account_id}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_suspended(self) -> bool:
        return self.is_active and self.grace_until is not None


class PriceOverride(models.Model):
    """A seller's sell cost for one specific buyer of one DID; it wins over the
    seller's default sell cost (DESIGN.md section 4).

    The seller is the operator when ``seller_subscription`` is null (its default
    is the DID product's Setup Fee and MonthlyFee), else the reseller holding that
    subscription (its default is the subscription's SELL COST). An override is tied
    to the seller's holding: when the reseller releases the DID, its overrides stop
    applying with its subscription.
    """

    did = models.ForeignKey(DID, on_delete=models.CASCADE, related_name="price_overrides")
    seller_subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="overrides"
    )
    buyer = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="price_overrides")
    setup_fee = MoneyField(**MONEY)
    price = MoneyField(**MONEY)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["did", "buyer"], condition=Q(seller_subscription__isnull=True), name="override_one_per_operator_buyer"
            ),
            models.UniqueConstraint(
                fields=["seller_subscription", "buyer"], condition=Q(seller_subscription__isnull=False),
                name="override_one_per_seller_buyer",
            ),
            models.CheckConstraint(condition=Q(setup_fee__gte=0, price__gte=0), name="override_money_not_negative"),
        ]
        indexes = [models.Index(fields=["buyer", "did"], name="override_buyer_did")]

    def __str__(self) -> str:
        return f"{self.did} for {self.buyer_id}: {self.setup_fee} + {self.price}"


class Notification(models.Model):
    """An email sent about a subscription, once per subscription, kind and period,
    so an hourly billing run does not send the same warning every hour."""

    class Kind(models.TextChoices):
        LOW_BALANCE = "low_balance", "Low balance before a renewal"
        SUSPENDED = "suspended", "Renewal failed: suspended"
        REINSTATED = "reinstated", "Renewal paid: reinstated"
        RELEASED = "released", "Released"

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="notifications")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    period_start = models.DateTimeField()
    email = models.EmailField(blank=True)  # where it went; blank when the account has no address
    subject = models.CharField(max_length=200)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "kind", "period_start"], name="notification_once"),
        ]
