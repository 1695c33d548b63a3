"""Webhooks: the endpoints an account (or the operator) registers, the events written in the
transaction of the change they are about (an outbox), and one delivery per event and endpoint.

An Event is written only when some active endpoint subscribed to its type receives it (no
receiver: no row, and no statement on the purchase's path: webhooks/outbox.py). Its UUID is
the ``Webhook-Id`` a receiver de-duplicates on: delivery is at least once.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account


class EventType(models.TextChoices):
    DID_PURCHASED = "did.purchased", "A DID was bought (by the account, or from it as the seller)"
    DID_RELEASED = "did.released", "A DID was released (by its holder, the operator or the billing run)"
    DID_SUSPENDED = "did.suspended", "A DID was suspended: its renewal could not be paid"
    DID_REINSTATED = "did.reinstated", "A suspended DID's renewal was paid"
    BALANCE_LOW = "balance.low", "The balance fell below the low-balance alert"
    PAYMENT_RECORDED = "payment.recorded", "A payment was recorded on the account"
    PRICE_CHANGED = "price.changed", "The price of a DID it holds changes at its next renewal"


class Endpoint(models.Model):
    """A URL that receives the events of ``account`` (null: the operator's) it subscribed to."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    # The subscribed types between commas (",did.purchased,did.released,"): one LIKE finds the
    # endpoints of a type on every database (webhooks/outbox.py subscribed()).
    events = models.CharField(max_length=300)
    # Kept as it is (the HMAC needs it), shown once on the page that created it.
    secret = models.CharField(max_length=80)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "active"], name="webhook_endpoint_account")]

    def __str__(self) -> str:
        return self.url

    @property
    def event_types(self) -> list[str]:
        return [name for name in self.events.split(",") if name]

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    # The account the change is about; null: the operator.
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When it is due (pending only); moved a minute on while a worker holds it (webhooks/delivery.py).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_answer = models.CharField(max_length=500, blank=True)  # the start of the receiver's answer
    last_error = models.CharField(max_length=500, blank=True)  # no answer: why (timeout, refused...)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [
            # An endpoint's deliveries, newest first (its page).
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint"),
            # The sweep: pending deliveries by when they are due.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id}: {self.status}"
