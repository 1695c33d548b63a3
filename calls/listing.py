"""The calls pages' queries: one account's charged calls, or every call (the admin)."""

from django.db.models import OuterRef, Subquery

from calls.models import Call, CallCharge

SORTS = {"start": ("started_at",)}
DEFAULT_SORT = "-start"


def account_calls(account, number: str = ""):
    """What the account paid per call, newest first; for a reseller also what the account
    below paid it for the same call (its side of the margin). Index: callcharge_account_started."""
    rows = CallCharge.objects.filter(account=account).select_related("call__did")
    if account.is_reseller:
        sold = CallCharge.objects.filter(call_id=OuterRef("call_id"), seller_id=account.pk).values("amount")[:1]
        rows = rows.annotate(earned=Subquery(sold))
    return _for_number(rows, number, "call__did__number")


def all_calls(number: str = ""):
    """Every call, newest first (index call_started); the page's charges are fetched with it."""
    return _for_number(Call.objects.select_related("did"), number, "did__number")


def _for_number(rows, number: str, field: str):
    """``number``: E.164 from CallFilterForm, or blank for all."""
    return rows.filter(**{field: number}) if number else rows
