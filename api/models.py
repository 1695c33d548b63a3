"""API tokens and the per-token request counters of the throttle.

A token is made once and shown once: only the SHA-256 digest of its secret is stored, with a
short prefix of it (not enough to use) for the lists. It acts as one login (``user``): a
reseller's or a customer's (``account`` is that login's account) or an admin's (``account``
null: the operator). Tokens are never deleted: a revoked one keeps its row for the audit trail.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    name = models.CharField(max_length=80)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    # The account it acts for; null: the operator (an admin's token).
    account = models.ForeignKey("accounts.Account", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="api_tokens")
    prefix = models.CharField(max_length=16)  # the first characters of the secret, for the lists
    digest = models.CharField(max_length=64, unique=True)  # sha256 hex of the whole secret
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Written at most once a minute (api/tokens.py note_use), not at every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="api_token_account_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def status_at(self, now=None) -> str:
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at is not None and self.expires_at <= (now or timezone.now()):
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> str:
        return self.status_at()

    @property
    def status_label(self) -> str:
        return self.Status(self.status).label


class ApiRequestCount(models.Model):
    """Requests of one token in one throttle window (api/throttling.py): one row per token and
    window, counted up by one atomic upsert, in the database so that every worker of every app
    server counts the same requests."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "window_start"], name="api_request_count_window")]


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` an account sent with a purchase (api/idempotency.py): the hash of
    that request and the answer it got, written in the purchase's own transaction, so a purchase
    never commits without it and a retry with the same key and body gets this answer again,
    charged once. Refused requests leave no row (nothing was written): the key may be sent again."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # sha256 hex of the method, path and JSON body
    status = models.PositiveSmallIntegerField()  # of the answer; 0 while the first request runs
    response = models.TextField(blank=True)  # the answer's JSON, as sent (a replay sends these very bytes)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="api_idempotency_account_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.account_id})"
