"""A reseller (``reseller_user``, "Reseller A") with a customer (``customer_user``) and a
sub-reseller, which has a customer of its own (one level too deep for Reseller A's pages);
another reseller with its own customer."""

import pytest
from django.urls import reverse

from accounts.models import Account
from tests.factories import make_account_user


@pytest.fixture
def sub_reseller(reseller_user):
    return make_account_user(Account.Kind.RESELLER, parent=reseller_user.account, name="Sub Reseller A")


@pytest.fixture
def grandchild(sub_reseller):
    return make_account_user(Account.Kind.CUSTOMER, parent=sub_reseller.account, name="Grandchild A")


@pytest.fixture
def other_reseller(db):
    return make_account_user(Account.Kind.RESELLER, name="Reseller B")


@pytest.fixture
def other_customer(other_reseller):
    return make_account_user(Account.Kind.CUSTOMER, parent=other_reseller.account, name="Customer B")


def url(name: str, account: Account | None = None, **query) -> str:
    """customers:<name>, for ``account`` (by its number) when the page is about one."""
    path = reverse(f"customers:{name}", args=[account.number] if account is not None else [])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def fresh(account: Account) -> Account:
    return Account.objects.get(pk=account.pk)
