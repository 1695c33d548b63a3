"""The one rule of which accounts a login manages (accounts/permissions.py): a reseller its
direct accounts only, an admin all, a customer none; used by the Customers pages, the reset
links and the way back from "log in as"."""

import pytest

from accounts.models import Account
from accounts.permissions import managed_accounts, manages
from accounts.services import account_set_status
from tests.factories import make_account_user, make_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    reseller = make_account_user(name="Reseller A")
    other = make_account_user(name="Reseller B")
    customer = make_account_user(Account.Kind.CUSTOMER, parent=reseller.account, name="Customer A")
    sub = make_account_user(parent=reseller.account, name="Sub A")
    grandchild = make_account_user(Account.Kind.CUSTOMER, parent=sub.account, name="Grandchild A")
    foreign = make_account_user(Account.Kind.CUSTOMER, parent=other.account, name="Customer B")
    return locals()


def test_a_reseller_manages_its_direct_accounts_only(tree):
    reseller = tree["reseller"]
    assert set(managed_accounts(reseller)) == {tree["customer"].account, tree["sub"].account}
    for account in ("grandchild", "foreign", "reseller", "other"):
        assert not manages(reseller, tree[account].account), account


def test_an_admin_manages_every_account_and_a_customer_none(tree):
    admin = make_admin()
    assert set(managed_accounts(admin)) == set(Account.objects.all())
    assert manages(admin, tree["foreign"].account)
    assert not managed_accounts(tree["customer"]).exists()


def test_a_suspended_reseller_manages_nothing(tree):
    account_set_status(account_id=tree["reseller"].account.pk, status=Account.Status.SUSPENDED)
    tree["reseller"].account.refresh_from_db()
    assert not managed_accounts(tree["reseller"]).exists()
