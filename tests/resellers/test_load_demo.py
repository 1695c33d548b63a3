"""`make run`'s demo data: valid numbers, and sales made by the purchase service so every
role's home page has something to show."""

import phonenumbers
import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import Account
from billing.models import LedgerEntry, Subscription
from dids.models import DID

pytestmark = pytest.mark.django_db


def test_demo_numbers_are_valid_and_some_are_sold(capsys):
    call_command("load_demo", dids=60)
    seeds = {"+18555801802", "+81123456789"}  # the seed manual's own examples, kept as written
    invalid = [n for n in DID.objects.exclude(number__in=seeds).values_list("number", flat=True)
               if not phonenumbers.is_valid_number(phonenumbers.parse(n))]
    assert DID.objects.count() == 62 and invalid == []
    held = {a.name: Subscription.objects.filter(account=a, status="active").count() for a in Account.objects.all()}
    assert held == {"Reseller One": 6, "Reseller Two": 3, "Customer One": 2}
    customer = Account.objects.get(name="Customer One")
    bought = Subscription.objects.filter(account=customer, status="active")
    assert all(s.parent.account.name == "Reseller One" for s in bought)  # bought from its reseller's holdings
    assert all(s.price.amount == 2 * s.did.monthly_fee.amount for s in bought)  # at its SELL COST
    for account in Account.objects.all():
        ledger = LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
        assert account.balance.amount == ledger
    assert "customer1" in capsys.readouterr().out


def test_running_it_twice_changes_nothing(capsys):
    call_command("load_demo", dids=20)
    before = (DID.objects.count(), Subscription.objects.count(), LedgerEntry.objects.count())
    call_command("load_demo", dids=20)
    assert (DID.objects.count(), Subscription.objects.count(), LedgerEntry.objects.count()) == before
    assert "already loaded" in capsys.readouterr().out
