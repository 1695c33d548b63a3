"""Each account's notice settings: its low-balance threshold and which kinds of notice also come by
e-mail. Every kind comes by e-mail until the account turns it to in-app only (an EmailOptOut row)."""

from decimal import Decimal

from django.db import transaction

from accounts.models import Account
from audit.record import changed, record
from core.locking import lock_accounts
from core.money import quantize
from notices.models import EmailOptOut, Notice

KINDS = list(Notice.Kind)  # in the order the settings page lists them


class SettingsRefused(ValueError):
    """Nothing was saved; ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def emailed_kinds(account_id: int) -> set[str]:
    """The kinds of notice this account gets by e-mail too."""
    off = set(EmailOptOut.objects.filter(account_id=account_id).values_list("kind", flat=True))
    return {kind.value for kind in KINDS} - off


def save_settings(*, account: Account, threshold: Decimal | None, by_email: set[str], by=None) -> bool:
    """Set the low-balance threshold (None = no alert) and the kinds that come by e-mail, in one
    transaction, audited on the account. Returns False when nothing changed."""
    if threshold is not None:
        threshold = quantize(threshold)
        if threshold < 0:
            raise SettingsRefused("The alert level cannot be negative.", field="low_balance_threshold")
    unknown = set(by_email) - {kind.value for kind in KINDS}
    if unknown:
        raise SettingsRefused(f"Unknown kinds of notice: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        # The account row locked (core/locking.py): two saves, or a save and a charge reading the
        # threshold, run one after the other.
        old_threshold = lock_accounts(Account.objects.filter(pk=account.pk))[account.pk].low_balance_threshold
        old_email = emailed_kinds(account.pk)
        changes = changed({"low_balance_threshold": old_threshold, **_email_fields(old_email)},
                          {"low_balance_threshold": threshold, **_email_fields(by_email)})
        if not changes:
            return False
        if old_threshold != threshold:
            # This column only: the balance belongs to the ledger's writes.
            Account.objects.filter(pk=account.pk).update(low_balance_threshold=threshold)
        all_kinds = {kind.value for kind in KINDS}
        off_before, off_now = all_kinds - old_email, all_kinds - set(by_email)
        EmailOptOut.objects.filter(account=account, kind__in=off_before - off_now).delete()
        EmailOptOut.objects.bulk_create([EmailOptOut(account=account, kind=kind) for kind in sorted(off_now - off_before)])
        account.low_balance_threshold = threshold
        record("account.updated", account=account, by=by, summary=f"Notice settings of {account} changed",
               changes=changes)
    return True


def _email_fields(kinds: set[str]) -> dict:
    """One audit field per kind: "e-mail: Low balance" -> "yes" / "no"."""
    return {f"e-mail: {kind.label}": "yes" if kind.value in kinds else "no" for kind in KINDS}
