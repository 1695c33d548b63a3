"""core.bulk_update writes exactly what it is given, NULLs and money included, on both databases."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account
from billing.models import Subscription
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from core.bulk_update import update_rows
from core.money import money
from tests.factories import DIDFactory, make_account_user


def test_update_rows_sets_each_row_its_own_values_and_leaves_others_alone(db):
    user = make_account_user()
    add_funds(account_id=user.account_id, amount=Decimal("100"))
    subs = [purchase_did(buyer_id=user.account_id, did_id=DIDFactory(setup_fee="0", monthly_fee="1").pk,
                         purchase_key=f"k{i}").subscription for i in range(3)]
    now = timezone.now()
    subs[0].price, subs[0].grace_until = money("2.1234"), now + timedelta(days=3)
    subs[1].price, subs[1].grace_until = money("0"), None
    update_rows(Subscription, ["price", "grace_until"], subs[:2])

    first, second, third = (Subscription.objects.get(pk=s.pk) for s in subs)
    assert first.price.amount == Decimal("2.1234") and first.grace_until == now + timedelta(days=3)
    assert second.price.amount == Decimal("0") and second.grace_until is None
    assert third.price.amount == Decimal("1")  # not in the list: untouched
    update_rows(Subscription, ["price"], [])  # nothing to do is not an error
    assert Account.objects.get(pk=user.account_id).balance.amount == Decimal("97")
