"""Creating and changing accounts."""

from django.db import transaction

from accounts.models import Account, User
from billing_portal.money import money


class AccountError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


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
    """An account with its login. Only resellers can have accounts below them."""
    if parent is not None and not parent.is_reseller:
        raise AccountError("Only a reseller can have accounts below it.", field="parent")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError("This username is taken.", field="username")
    with transaction.atomic():
        account = Account.objects.create(
            name=name, kind=kind, parent=parent, credit_limit=money(credit_limit), email=email, status=status
        )
        user = User(username=username, email=email, account=account)
        user.set_password(password)
        user.save()
    return account
