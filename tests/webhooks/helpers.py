import uuid
from decimal import Decimal

from accounts.models import Account
from billing.ledger.funds import add_funds
from webhooks.endpoints import create_endpoint
from webhooks.models import EventType
from tests.factories import make_account_user

D = Decimal
ALL = list(EventType.values)


def funded(amount="100", **kwargs):
    """A login with a funded account (a reseller unless ``kind``)."""
    user = make_account_user(**kwargs)
    add_funds(account_id=user.account.pk, amount=D(amount))
    user.account.refresh_from_db()
    return user


def hook(user, url="https://hooks.example.com/did", events=ALL):
    """An endpoint of ``user``'s account (an admin: the operator's): (row, secret)."""
    return create_endpoint(user=user, url=url, events=events)


def key() -> str:
    return uuid.uuid4().hex


def customer_of(reseller_user, amount="100"):
    return funded(amount, kind=Account.Kind.CUSTOMER, parent=reseller_user.account)
