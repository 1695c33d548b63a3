"""Who uses the portal: the operator's staff (admins), resellers and customers.

Accounts form a tree. ``parent`` is the account that sells to this one; an
account without a parent buys directly from the operator (the admin).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from djmoney.models.fields import MoneyField

from accounts.numbers import unique_account_number


def new_account_number() -> str:
    return unique_account_number(Account)


class Account(models.Model):
    class Kind(models.TextChoices):
        RESELLER = "reseller", "Reseller"
        CUSTOMER = "customer", "Customer"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    number = models.CharField("Account number", max_length=10, unique=True, default=new_account_number, editable=False)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    email = models.EmailField(blank=True)
    balance = MoneyField(max_digits=14, decimal_places=4, default=0, default_currency="USD", editable=False)
    credit_limit = MoneyField(max_digits=14, decimal_places=4, default=0, default_currency="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Low-balance notice (notices/): sent when a charge takes the balance from at or above this
    # amount to below it, at most once per 24 hours (``low_balance_notified_at``). Null = off.
    low_balance_threshold = models.DecimalField(
        "Low balance alert below", max_digits=14, decimal_places=4, null=True, blank=True
    )
    low_balance_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="account_credit_limit_not_negative"),
            models.CheckConstraint(condition=Q(number__regex=r"^[0-9]{10}$"), name="account_number_ten_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    @property
    def is_reseller(self) -> bool:
        return self.kind == self.Kind.RESELLER

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


def acting_user(by):
    """The user to record as the actor of a change: None for the system (the billing
    run, a command) and for anything that is not a saved user."""
    return by if getattr(by, "pk", None) else None


class User(AbstractUser):
    """A login. Staff users are the operator's admins; others belong to one account."""

    account = models.OneToOneField(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="user"
    )

    class Meta:
        constraints = [
            # An admin is the operator, not an account holder; everyone else has an account.
            models.CheckConstraint(
                condition=Q(is_staff=True) | Q(account__isnull=False) | Q(is_superuser=True),
                name="user_is_staff_or_has_account",
            ),
        ]

    @property
    def role(self) -> str:
        if self.is_staff or self.is_superuser:
            return "admin"
        if self.account_id is None:
            return "none"
        return self.account.kind

    @property
    def is_portal_admin(self) -> bool:
        return self.is_active and (self.is_staff or self.is_superuser)


class PasswordResetRequest(models.Model):
    """One "Forgot password?" request, kept for an hour: the rate limit counts these per client
    address and per e-mail address (accounts/passwords.py). In the database, so every app server
    counts the same requests. The address typed is kept only as a keyed hash (``email_digest``):
    the table never holds an address somebody typed."""

    at = models.DateTimeField(default=timezone.now)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    email_digest = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["at"], name="reset_request_at"),  # removing the expired ones
            models.Index(fields=["client_ip", "at"], name="reset_request_ip_at"),
            models.Index(fields=["email_digest", "at"], name="reset_request_email_at"),
        ]
