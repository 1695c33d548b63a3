"""The billing run on PostgreSQL under the two failures that matter: two runs at
once (two machines' cron firing together) and a run that dies half way."""

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.purchase import purchase_did
from billing.subscriptions.renewals import _Batch, run_billing
from dids.models import DID
from tests.factories import DIDFactory, make_account_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]  # the runs must see committed rows

D = Decimal
T0 = timezone.make_aware(timezone.datetime(2026, 1, 1, 12, 0))
ROOT = Path(__file__).resolve().parents[2]


def build_world(tag: str, resellers: int = 4, dids_each: int = 6):
    """Resellers with customers, holding Recurring and One Time DIDs, some short of funds."""
    accounts, dids = [], []
    for i in range(resellers):
        r = make_account_user(name=f"{tag} R{i}").account
        c = make_account_user(Account.Kind.CUSTOMER, parent=r, name=f"{tag} C{i}").account
        add_funds(account_id=r.pk, amount=D("200") if i % 3 else D("60"))
        add_funds(account_id=c.pk, amount=D("150"))
        accounts += [r, c]
        for j in range(dids_each):
            kind = DID.BillingType.ONE_TIME if j == 0 else DID.BillingType.RECURRING
            did = DIDFactory(setup_fee="1", monthly_fee=str(3 + j), billing_days=10 + j, billing_type=kind)
            purchase_did(buyer_id=r.pk, did_id=did.pk, purchase_key=f"{tag}-r{i}-{j}", now=T0,
                         sell_setup_fee=D("2"), sell_price=D(4 + j))
            if j % 2:
                purchase_did(buyer_id=c.pk, did_id=did.pk, purchase_key=f"{tag}-c{i}-{j}", now=T0)
            dids.append(did)
    return accounts, dids


def ledger_shape(accounts, dids):
    """The ledger of a world, independent of ids and of the order runs wrote it in."""
    did_index = {d.pk: n for n, d in enumerate(dids)}
    shape = []
    for n, account in enumerate(accounts):
        entries = LedgerEntry.objects.filter(account=account)
        shape.append((
            Account.objects.get(pk=account.pk).balance.amount,
            Counter((e.kind, e.amount.amount, did_index.get(e.did_id), e.period_start, e.period_end) for e in entries),
        ))
    return shape


def assert_healthy(accounts):
    for account in accounts:
        assert Account.objects.get(pk=account.pk).balance.amount == ledger_sum(account.pk)
    charges = LedgerEntry.objects.filter(kind__in=["did_price", "renewal"]).values_list("subscription_id", "period_start")
    assert len(charges) == len(set(charges)), "a period was charged twice"


def test_two_run_billing_processes_at_once_charge_each_period_exactly_once():
    accounts, dids = build_world("race", resellers=6)
    due = Subscription.objects.filter(status="active").count()
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "BILLING_BATCH_SIZE": "3"}  # small batches: the runs interleave
    command = [sys.executable, "manage.py", "run_billing", "--now", (T0 + timedelta(days=45)).isoformat()]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    assert_healthy(accounts)
    # Both did some of the work (the queue was shared), and together they did all of it, once.
    batches = [int(out.split(", ")[-1].split()[0]) for out, _ in outputs]
    assert all(b > 0 for b in batches), outputs
    assert not Subscription.objects.filter(status="active", period_end__lte=T0 + timedelta(days=45),
                                           grace_until__isnull=True).exists()
    # The same world billed by one run in this process gives the same ledger.
    twin_accounts, twin_dids = build_world("twin", resellers=6)
    run_billing(now=T0 + timedelta(days=45))
    assert ledger_shape(accounts, dids) == ledger_shape(twin_accounts, twin_dids)
    assert due > 0


def test_a_run_killed_half_way_then_rerun_gives_the_same_ledger_as_one_clean_run(monkeypatch):
    clean_accounts, clean_dids = build_world("clean")
    run_billing(now=T0 + timedelta(days=65), batch_size=4)

    accounts, dids = build_world("crash")
    settled = {"n": 0}
    real_settle_one = _Batch.settle_one

    def dies_after_ten(self, sub, chain):
        settled["n"] += 1
        if settled["n"] > 10:
            raise RuntimeError("killed")  # the process dies in the middle of a batch
        return real_settle_one(self, sub, chain)

    monkeypatch.setattr(_Batch, "settle_one", dies_after_ten)
    with pytest.raises(RuntimeError, match="killed"):
        run_billing(now=T0 + timedelta(days=65), batch_size=4)
    assert_healthy(accounts)  # what committed before the crash is whole
    partly = LedgerEntry.objects.filter(account__in=accounts, kind="renewal").count()
    assert partly > 0  # some batches had committed

    monkeypatch.setattr(_Batch, "settle_one", real_settle_one)
    run_billing(now=T0 + timedelta(days=65), batch_size=4)
    assert_healthy(accounts)
    assert LedgerEntry.objects.filter(account__in=accounts, kind="renewal").count() > partly
    assert ledger_shape(accounts, dids) == ledger_shape(clean_accounts, clean_dids)
