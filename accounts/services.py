"""Creating and changing accounts.

Every function here is keyword-only and raises ``AccountError`` (with the name
of the form field it is about) for anything a user typed wrong. None of them
ever writes the balance: only the ledger (billing/ledger/posting.py) does.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.models import Account, User
from audit.record import changed, record, snapshot
from core.locking import lock_accounts
from core.money import money

AUDITED = ("name", "kind", "parent", "email", "credit_limit", "status")


class AccountError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AccountError("Enter a name.", field="name")
    if len(name) > Account._meta.get_field("name").max_length:
        raise AccountError("The name is too long.", field="name")
    return name


def _clean_credit_limit(credit_limit) -> Decimal:
    value = money(credit_limit).amount  # accepts Decimal, int, str or Money; never float
    if value < 0:
        raise AccountError("The credit limit cannot be negative.", field="credit_limit")
    return value


def account_create(
    *,
    name: str,
    kind: str,
    username: str,
    password: str,
    parent: Account | None = None,
    credit_limit=0,
    email: str = "",
    status: str = Account.Status.ACTIVE,
) -> Account:
    """An account with its login. Only resellers can have accounts below them.

    The password is stored as given; forms run Django's password validators first.
    """
    name = _clean_name(name)
    credit = _clean_credit_limit(credit_limit)
    username = (username or "").strip()
    if kind not in Account.Kind.values:
        raise AccountError("Choose Reseller or Customer.", field="kind")
    if status not in Account.Status.values:
        raise AccountError("Choose Active or Suspended.", field="status")
    if parent is not None and not parent.is_reseller:
        raise AccountError("Only a reseller can have accounts below it.", field="parent")
    if not username:
        raise AccountError("Enter a username.", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError("This username is taken.", field="username")
    try:
        with transaction.atomic():
            account = Account.objects.create(
                name=name, kind=kind, parent=parent, credit_limit=money(credit), email=email, status=status
            )
            user = User(username=username, email=email, account=account)
            user.set_password(password)
            user.save()
            record("account.created", account=account, summary=f"{account.get_kind_display()} {account} created",
                   changes={**changed(None, snapshot(account, AUDITED)), "username": (None, username)})
    except IntegrityError:
        # Someone took the username between the check and the insert.
        if User.objects.filter(username__iexact=username).exists():
            raise AccountError("This username is taken.", field="username") from None
        raise
    return account


def _locked(account_id: int) -> Account:
    found = lock_accounts(Account.objects.filter(pk=account_id))
    if account_id not in found:
        raise Account.DoesNotExist(f"No account {account_id}.")
    return found[account_id]


def account_update(*, account_id: int, name: str, email: str, credit_limit) -> Account:
    """Change an account's name, email and credit limit (never its balance)."""
    name = _clean_name(name)
    credit = _clean_credit_limit(credit_limit)
    with transaction.atomic():
        account = _locked(account_id)
        before = snapshot(account, ("name", "email", "credit_limit"))
        account.name, account.email, account.credit_limit = name, email, money(credit)
        account.save(update_fields=["name", "email", "credit_limit"])
        User.objects.filter(account_id=account_id).update(email=email)
        changes = changed(before, snapshot(account, ("name", "email", "credit_limit")))
        if changes:
            record("account.updated", account=account, changes=changes,
                   summary=f"Account {account} changed: {', '.join(changes).replace('_', ' ')}")
    return account


def account_set_status(*, account_id: int, status: str) -> Account:
    """Suspend or reactivate. A suspended account cannot log in (accounts/backends.py),
    its open sessions end at their next request, and it cannot buy."""
    if status not in Account.Status.values:
        raise AccountError("Choose Active or Suspended.", field="status")
    with transaction.atomic():
        account = _locked(account_id)
        if account.status != status:
            before = account.get_status_display()
            account.status = status
            account.save(update_fields=["status"])
            record("account.suspended" if status == Account.Status.SUSPENDED else "account.reactivated",
                   account=account, changes={"status": (before, account.get_status_display())},
                   summary=f"Account {account} {'suspended' if status == Account.Status.SUSPENDED else 'reactivated'}")
    return account
