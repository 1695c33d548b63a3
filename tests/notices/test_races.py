"""Concurrent charges on PostgreSQL: each alone would take the balance below the threshold; together
they send one notice, because each decides on the account row it holds locked (the second one sees
the first one's balance, already below). Repeated with fresh accounts so a lucky schedule cannot hide
a bug."""

import uuid

import pytest
from django.core import mail

from accounts.models import Account
from billing.ledger.funds import adjust
from billing.ledger.posting import ledger_sum
from billing.subscriptions.purchase import PurchaseResult, purchase_did
from notices.models import Notice
from tests.factories import DIDFactory
from tests.notices.conftest import D, funded
from tests.races import race

ROUNDS = 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_charges_crossing_the_threshold_at_once_send_one_notice():
    for _ in range(ROUNDS):
        mail.outbox = []
        account = funded("100", threshold=D("90"))
        did = DIDFactory()  # 5 + 20
        outcomes = race([
            lambda: adjust(account_id=account.pk, amount=D("-15"), reason="Correction", by=None),
            lambda: purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=uuid.uuid4().hex),
            lambda: adjust(account_id=account.pk, amount=D("-12"), reason="Correction", by=None),
        ])
        assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
        assert isinstance(outcomes[1], PurchaseResult)
        assert Account.objects.get(pk=account.pk).balance.amount == D("48") == ledger_sum(account.pk)
        assert Notice.objects.filter(account=account, kind=Notice.Kind.LOW_BALANCE).count() == 1
        assert [m.to for m in mail.outbox] == [[account.email]]  # sent after its commit, once
