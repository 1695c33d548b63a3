"""The audit trail: who changed what, when, from where, before and after.

One ``AuditEntry`` per change (one per DID for the DID list's bulk actions; one per
import, undo and CDR import), written in the same transaction as the change, so a
change that rolls back leaves no row and a row never describes a change that did not
happen. Rows are never updated or deleted: on PostgreSQL a trigger refuses it
(migration 0002), and the portal has no page that could.

References to DIDs are kept even when the DID is deleted (a bulk delete, an undone
import): the foreign key has no database constraint and nothing cascades, and the
number is kept as text beside it. Accounts are never deleted (their ledger protects
them); the account number is kept as text all the same, as the actor's name is.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from audit import context
from core.countries import country_name
from core.phone import display

# action slug -> label (the filter's choices and the page's "what"). Not database choices:
# a new action needs no migration; audit.record refuses a slug that is not here.
ACTIONS = {
    "did.created": "DID created",
    "did.updated": "DID changed",
    "did.deleted": "DID deleted",
    "did.bulk_status": "DID status (bulk)",
    "did.bulk_provider": "DID provider (bulk)",
    "did.bulk_prices": "DID prices (bulk)",
    "did.bulk_deleted": "DID deleted (bulk)",
    "provider.created": "Provider created",
    "provider.updated": "Provider changed",
    "price.changed": "Sell cost changed",
    "rates.changed": "Call rates changed",
    "destination.set": "Destination changed",
    "account.created": "Account created",
    "account.updated": "Account changed",
    "account.suspended": "Account suspended",
    "account.reactivated": "Account reactivated",
    "balance.funds_added": "Funds added",
    "balance.adjusted": "Balance adjusted",
    "balance.payment_recorded": "Payment recorded",
    "subscription.purchased": "DID purchased",
    "subscription.released": "DID released",
    "subscription.suspended": "Subscription suspended",
    "subscription.reinstated": "Subscription reinstated",
    "dids.imported": "DIDs imported",
    "dids.import_undone": "DID import undone",
    "calls.charged": "CDRs charged",
    "switch_token.created": "Switch token created",
    "switch_token.changed": "Switch token changed",
    "switch_token.revoked": "Switch token revoked",
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "webhook.created": "Webhook endpoint added",
    "webhook.disabled": "Webhook endpoint disabled",
    "webhook.enabled": "Webhook endpoint enabled",
    "webhook.deleted": "Webhook endpoint deleted",
    "webhook.resent": "Webhook re-sent",
    "session.login_as": "Logged in as",
    "session.login_as_ended": "Returned from logged in as",
    "user.password_changed": "Password changed",
    "user.password_reset": "Password reset (e-mailed link)",
    "user.password_reset_sent": "Password reset link sent",
    "user.2fa_enabled": "Two-factor login turned on",
    "user.2fa_disabled": "Two-factor login turned off",
    "user.recovery_codes_regenerated": "Recovery codes made anew",
}


class AuditEntry(models.Model):
    class Source(models.TextChoices):
        UI = context.UI, "UI"
        COMMAND = context.COMMAND, "Command"
        API = context.API, "API"
        SYSTEM = context.SYSTEM, "System"

    # When the row was written (the application's clock, as every other timestamp; the
    # database's clock for a row inserted without it).
    at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    # Null: the system (a command, the billing run). The name is a snapshot for the page.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    actor_name = models.CharField(max_length=150, blank=True)
    # The admin who was logged in as ``actor`` ("log in as"), else null.
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", db_index=False)
    on_behalf_of_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=40)
    # No database constraint and no cascade: a deleted DID's rows stay, with its number.
    did = models.ForeignKey("dids.DID", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                            related_name="+", db_index=False)
    did_number = models.CharField(max_length=16, blank=True)
    account = models.ForeignKey("accounts.Account", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", db_index=False)
    account_number = models.CharField(max_length=10, blank=True)
    # The row the change is about, when it is not the DID or the account itself ("billing.subscription", 12).
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    summary = models.TextField()
    # {"field": [before, after]}; money as text with 4 places ("5.0000"), null = none / not set.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        # Three indexes, each written by every row (a bulk action writes up to 100,000 at once).
        # A DID's trail is read by its number (the DID page and the number filter alike, also
        # after the DID was deleted), so the DID id needs none of its own.
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["did_number", "-at", "-id"], name="audit_did_number_at"),
            models.Index(fields=["account", "-at", "-id"], name="audit_account_at"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_name or 'system'}"

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def did_digits(self) -> str:
        return self.did_number.lstrip("+")

    @property
    def did_shown(self) -> str:
        """The DID as people read it: +1 855-580-1802."""
        return display(self.did_number)

    @property
    def change_rows(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for the page."""
        rows = []
        for name, pair in (self.changes or {}).items():
            before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            if name == "country":  # a switch token's country is kept as its code: shown by name
                before, after = (_country(value) for value in (before, after))
            rows.append((name.replace("_", " "), before, after))
        return rows


def _country(value):
    """An ISO code ('US') as its name; anything else (a name, '', None) as it is."""
    return country_name(value) if isinstance(value, str) and len(value) == 2 and value.isupper() else value
