"""What the operator sells: providers (carriers) and DID products."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField
from djmoney.models.fields import MoneyField

from accounts.models import Account
from accounts.numbers import unique_account_number
from core.phone import display

# Money columns: 4 places as on the seed (5.0000); 10 integer digits is plenty.
MONEY = dict(max_digits=14, decimal_places=4, default_currency="USD")


def new_provider_number() -> str:
    return unique_account_number(Provider)


class Provider(models.Model):
    name = models.CharField(max_length=120, unique=True)
    number = models.CharField("Account number", max_length=10, unique=True, default=new_provider_number, editable=False)
    is_active = models.BooleanField("Active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(number__regex=r"^[0-9]{10}$"), name="provider_number_ten_digits"),
        ]

    def __str__(self) -> str:
        # Shown like the seed: "default provider (3673942894)".
        return f"{self.name} ({self.number})"


class DIDImport(models.Model):
    """One import of DIDs (a CSV file or a range): what went in, so it can be
    reported and undone while none of its DIDs has been sold."""

    class Source(models.TextChoices):
        BROWSER = "browser", "CSV upload"
        COMMAND = "command", "manage.py import_dids"
        RANGE = "range", "Range"

    source = models.CharField(max_length=10, choices=Source.choices)
    filename = models.CharField(max_length=255, blank=True)
    # The file's SHA-256, so the same file imported again can be recognised and reported.
    checksum = models.CharField(max_length=64, blank=True)
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Import #{self.pk}"


class DID(models.Model):
    class Category(models.TextChoices):
        DID = "DID", "DID"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    class BillingType(models.TextChoices):
        ONE_TIME = "one_time", "One Time"
        RECURRING = "recurring", "Recurring"

    category = models.CharField("Product Category", max_length=10, choices=Category.choices, default=Category.DID)
    # E.164, e.g. +18555801802; unique across the whole system.
    number = models.CharField("DID", max_length=16, unique=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="dids")
    country = CountryField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    province = models.CharField(max_length=100, blank=True)
    buy_cost = MoneyField("Buy Cost", default=0, **MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    connection_cost = MoneyField("Connection Cost", default=0, **MONEY)
    cost_per_min = MoneyField("Cost/Min", default=0, **MONEY)
    grace_time = models.PositiveIntegerField("Grace Time (Sec.)", default=0)
    initial_increment = models.PositiveIntegerField("Initial Increment", default=60)
    increment = models.PositiveIntegerField("Increment", default=60)
    setup_fee = MoneyField("Setup Fee", default=0, **MONEY)
    monthly_fee = MoneyField("MonthlyFee", **MONEY)
    call_timeout = models.PositiveIntegerField("Call Timeout (Sec.)", default=30)
    billing_type = models.CharField(max_length=10, choices=BillingType.choices, default=BillingType.RECURRING)
    billing_days = models.PositiveIntegerField("Billing Days", default=30)
    concurrent_calls = models.PositiveIntegerField("Concurrent Calls", default=0)

    # The account that bought it from the operator; null while in the admin's pool.
    holder = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="held_dids")
    # The import that created it (null when created one by one), for reports and undo.
    import_batch = models.ForeignKey(DIDImport, null=True, blank=True, on_delete=models.PROTECT, related_name="dids")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "DID"
        constraints = [
            models.CheckConstraint(condition=Q(number__regex=r"^\+[1-9][0-9]{1,14}$"), name="did_number_e164"),
            models.CheckConstraint(
                condition=Q(buy_cost__gte=0) & Q(connection_cost__gte=0) & Q(cost_per_min__gte=0)
                & Q(setup_fee__gte=0) & Q(monthly_fee__gte=0),
                name="did_money_not_negative",
            ),
            models.CheckConstraint(condition=Q(increment__gte=1), name="did_increment_at_least_one"),
            models.CheckConstraint(condition=Q(call_timeout__gte=1, call_timeout__lte=600), name="did_call_timeout_range"),
            models.CheckConstraint(condition=Q(billing_days__gte=1, billing_days__lte=3650), name="did_billing_days_range"),
        ]
        indexes = [
            models.Index(fields=["country", "number"], name="did_country_number"),
            models.Index(fields=["status", "number"], name="did_status_number"),
            # Sorting by creation (newest first). City, Province, MonthlyFee and the other sorts have no
            # index of their own: every index is written by every import and bulk change, and those
            # three cost a million-row import 13 s (docs/decisions.md); they sort the filtered rows.
            models.Index(fields=["created_at", "id"], name="did_created"),
            # Buy DIDs for accounts under the operator: its unsold Active DIDs by number, and by country.
            models.Index(fields=["number"], condition=Q(holder__isnull=True, status="active"), name="did_pool_number"),
            models.Index(
                fields=["country", "number"], condition=Q(holder__isnull=True, status="active"),
                name="did_pool_country_number",
            ),
            # Buy DIDs sorted by price or setup fee, for a buyer with no price override (most): the pool
            # in (fee, number) order, read a page at a time (billing/subscriptions/offers.py with_buyer_prices).
            models.Index(fields=["monthly_fee", "number"], condition=Q(holder__isnull=True, status="active"),
                         name="did_pool_price"),
            models.Index(fields=["setup_fee", "number"], condition=Q(holder__isnull=True, status="active"),
                         name="did_pool_setup_fee"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def digits(self) -> str:
        """The number's digits (18555801802): for links and search boxes, not for people to read."""
        return self.number.lstrip("+")

    @property
    def shown(self) -> str:
        """The number as every page and message shows it: +1 855-580-1802 (core/phone.py)."""
        return display(self.number)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class DIDHistory(models.Model):
    """What happened to a DID: who bought or released it, when, at what price. (Owned by
    dids since issue 15; the table keeps its first name.)"""

    class Action(models.TextChoices):
        PURCHASED = "purchased", "Purchased"
        RELEASED = "released", "Released"
        PRICE_CHANGED = "price_changed", "Price changed"
        # Bulk actions of the admin's DID list (status, provider, prices), one row per DID.
        CHANGED = "changed", "Changed"

    did = models.ForeignKey("DID", on_delete=models.CASCADE, related_name="history")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    setup_fee = MoneyField(null=True, blank=True, **MONEY)
    price = MoneyField(null=True, blank=True, **MONEY)
    # Price changes: the values before the change, and whose price it is (null = all of the seller's buyers).
    old_setup_fee = MoneyField(null=True, blank=True, **MONEY)
    old_price = MoneyField(null=True, blank=True, **MONEY)
    for_account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "billing_didhistory"
        ordering = ["-at", "-pk"]
        verbose_name_plural = "DID history"


# --- the rows of higher layers that point at a DID ---------------------------------------------
# Subscriptions, ledger entries and per-buyer prices (billing) point at a DID; dids imports
# nothing above it (docs/architecture.md), so it finds them through the DID's reverse relations.

def pointing_at_did(related_name: str) -> type[models.Model]:
    """The model whose rows point at a DID through ``related_name`` ("subscriptions")."""
    return DID._meta.get_field(related_name).related_model


def cascading_from_did() -> list[tuple[type[models.Model], models.ForeignKey]]:
    """(model, its foreign key to DID) of the rows deleted with a DID (the key cascades: its
    history, the operator's per-buyer prices), for set-based deletes that do what Django's
    collector would, without loading the DIDs."""
    return [(relation.related_model, relation.field) for relation in DID._meta.related_objects
            if relation.on_delete is models.CASCADE]
