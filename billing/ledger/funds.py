"""Money movements typed in by a person: the admin's refills ("Add funds"), adjustments (by the
admin, or by a reseller on an account directly below it) and the payments a reseller records
for its customers ("a customer paid the reseller": cash, bank transfer).

Each is one entry on one account. A reseller's adjustment or payment never moves the
reseller's own balance: the money changed hands outside the portal, or the entry corrects
its customer's books (docs/decisions.md)."""

from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction

from audit.record import record
from billing.ledger.posting import lock_accounts, post
from billing.models import LedgerEntry
from core.money import fmt, quantize
from webhooks.models import EventType
from webhooks.outbox import emit


class FundsError(ValueError):
    """Bad input for a money movement; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# Each kind's audit action and the first words of its summary.
AUDITED = {
    LedgerEntry.Kind.FUNDS_ADDED: ("balance.funds_added", "Funds added"),
    LedgerEntry.Kind.ADJUSTMENT: ("balance.adjusted", "Adjustment"),
    LedgerEntry.Kind.PAYMENT: ("balance.payment_recorded", "Payment received"),
}


def _post_locked(account_id, amount, kind, by, description, idempotency_key) -> LedgerEntry:
    """One entry on one account, locked for the length of the transaction."""
    with transaction.atomic():
        account = lock_accounts([account_id])[account_id]
        entry = post(account=account, amount=amount, kind=kind, by=by, description=description,
                     idempotency_key=idempotency_key)
        # A repeated key fails above (IntegrityError): a double submit writes no second row either.
        action, what = AUDITED[kind]
        record(action, account=account, obj=entry, by=by,
               summary=f"{what} {fmt(entry.amount)} USD to {account}: {description}",
               changes={"balance": (entry.balance_before, entry.balance_after)})
        if kind == LedgerEntry.Kind.PAYMENT:  # a payment its reseller recorded: to the account's webhooks
            emit(EventType.PAYMENT_RECORDED, account.pk, {
                "account": account.number, "amount": entry.amount, "reference": description,
                "balance": entry.balance_after, "ledger_entry": entry.pk})
        return entry


def add_funds(*, account_id: int, amount: Decimal, by=None, description: str = "", idempotency_key=None) -> LedgerEntry:
    """A refill: one FUNDS_ADDED entry of a positive amount.

    A second call with the same ``idempotency_key`` raises IntegrityError and
    changes nothing; ``post_once`` turns that into "already recorded".
    """
    if quantize(amount) <= 0:
        raise FundsError("A refill must be above 0.", field="amount")
    return _post_locked(account_id, amount, LedgerEntry.Kind.FUNDS_ADDED, by, description or "Funds added", idempotency_key)


def adjust(*, account_id: int, amount: Decimal, reason: str, by, idempotency_key: str | None = None) -> LedgerEntry:
    """A correction by the admin, or by a reseller on an account directly below it: one
    ADJUSTMENT entry, positive (credit) or negative (debit), never zero, always with a
    reason. It may take the balance below the credit limit: it corrects the books, it is
    not a purchase."""
    amount = quantize(amount)
    reason = (reason or "").strip()
    if amount == 0:
        raise FundsError("An adjustment cannot be 0.", field="amount")
    if not reason:
        raise FundsError("Enter the reason for this adjustment.", field="reason")
    return _post_locked(account_id, amount, LedgerEntry.Kind.ADJUSTMENT, by, reason, idempotency_key)


def record_payment(*, account_id: int, amount: Decimal, reference: str, by, idempotency_key: str | None = None
                   ) -> LedgerEntry:
    """A customer paid its reseller (cash, bank transfer) and the reseller records it: one
    PAYMENT entry of a positive amount on the customer, with the reseller's reference
    (receipt, transfer id...) as its description and the reseller's user as ``created_by``.
    Nothing is posted on the reseller: the money reached it outside the portal.
    Which accounts a reseller may record for is the page's rule
    (resellers/views/customers/scope.py)."""
    if quantize(amount) <= 0:
        raise FundsError("A payment must be above 0.", field="amount")
    description = (reference or "").strip() or "Payment received"
    return _post_locked(account_id, amount, LedgerEntry.Kind.PAYMENT, by, description, idempotency_key)


def post_once(service: Callable[..., LedgerEntry], *, idempotency_key: str, **kwargs) -> tuple[LedgerEntry, bool]:
    """Run ``add_funds``, ``adjust`` or ``record_payment`` at most once per key: (entry, True) when it
    posted now, (the first entry, False) when that key was already recorded (a
    double submit, a browser retry, a re-post of the same form)."""
    recorded = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if recorded is not None:
        return recorded, False
    try:
        return service(idempotency_key=idempotency_key, **kwargs), True
    except IntegrityError:
        # The same key won a race with us; the unique constraint refused ours.
        recorded = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if recorded is None:
            raise
        return recorded, False
