"""Undo racing a purchase on PostgreSQL: a sold DID is never deleted, and an
undone import never leaves a DID behind (the purchase locks the DID row first;
the undo locks all of the import's rows, by id, before it looks)."""

from decimal import Decimal

import pytest

from billing.ledger.funds import add_funds
from billing.models import Subscription
from billing.subscriptions.purchase import PurchaseRefused, PurchaseResult
from dids.importing.ranges import import_range
from dids.importing.undo import UndoRefused, undo_import
from dids.models import DID, DIDImport
from tests.billing.test_purchase_races import buy
from tests.races import race
from tests.factories import make_account_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def imported_block(first: str, default_provider) -> DIDImport:
    product = {"category": "DID", "provider": default_provider.pk, "country": "US", "city": "", "province": "",
               "buy_cost": Decimal("0"), "status": "active", "connection_cost": Decimal("0"), "grace_time": 0,
               "cost_per_min": Decimal("0"), "initial_increment": 60, "increment": 60, "setup_fee": Decimal("0"),
               "monthly_fee": Decimal("2"), "call_timeout": 30, "billing_type": "recurring", "billing_days": 30,
               "concurrent_calls": 0}
    return import_range(first, None, 20, product, write=True)[1].import_record


def test_undo_and_purchase_race_one_wins_cleanly(default_provider):
    buyer = make_account_user(name="Racer").account
    add_funds(account_id=buyer.pk, amount=Decimal("100"))
    for round_ in range(4):
        imported = imported_block(f"+1855700{round_}000", default_provider)
        target = DID.objects.filter(import_batch=imported).order_by("-number").first()
        undo, purchase = race([lambda: undo_import(imported.pk), buy(buyer.pk, target.pk)])
        imported.refresh_from_db()
        if isinstance(purchase, PurchaseResult):
            assert isinstance(undo, UndoRefused), undo
            assert imported.undone_at is None and DID.objects.filter(import_batch=imported).count() == 20
            assert Subscription.objects.filter(did=target, account=buyer).exists()
        else:
            assert isinstance(purchase, PurchaseRefused), purchase
            assert undo == 20 and imported.undone_at is not None
            assert not DID.objects.filter(import_batch=imported).exists()
