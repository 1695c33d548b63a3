"""audit.record and audit.context: values, who and from where, and rollback with the change."""

from decimal import Decimal

import pytest
from django.db import transaction
from djmoney.money import Money

from accounts.models import Account
from audit import context
from audit.models import AuditEntry
from audit.record import changed, plain, record
from billing.ledger.funds import add_funds
from dids.bulk import bulk_set_status
from dids.models import DID
from tests.factories import DIDFactory


def test_values_are_kept_as_text_money_with_four_places():
    assert plain(Money(Decimal("5"), "USD")) == "5.0000"
    assert plain(Decimal("0.5")) == "0.5000"
    assert plain(7) == 7 and plain(None) is None and plain(True) is True
    assert changed({"a": Decimal("1"), "b": "x"}, {"a": Decimal("1.0000"), "b": "y"}) == {"b": ["x", "y"]}
    assert changed(None, {"a": "x", "b": ""}) == {"a": [None, "x"]}  # a creation lists what was set


def test_outside_a_request_the_source_is_command_and_the_actor_the_system(db):
    assert context.current().source == "command"
    row = record("account.created", account=Account.objects.create(name="Shell", kind="customer"), summary="x")
    assert (row.source, row.actor_id, row.actor_name, row.ip) == ("command", None, "", None)
    assert row.account_number == Account.objects.get(name="Shell").number


def test_an_unknown_action_is_a_bug(db):
    with pytest.raises(ValueError):
        record("did.renamed", summary="?")


def test_a_change_that_rolls_back_takes_its_row_with_it(reseller_user):
    account_id = reseller_user.account_id
    with pytest.raises(RuntimeError), transaction.atomic():
        add_funds(account_id=account_id, amount=Decimal(10))
        assert AuditEntry.objects.filter(action="balance.funds_added").count() == 1
        raise RuntimeError("the caller fails after the refill")
    assert not AuditEntry.objects.exists()
    assert Account.objects.get(pk=account_id).balance.amount == 0


def test_a_bulk_change_that_rolls_back_takes_its_rows_with_it(admin_user):
    DIDFactory.create_batch(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        bulk_set_status(dids=DID.objects.all(), status="inactive", by=admin_user)
        assert AuditEntry.objects.count() == 3
        raise RuntimeError
    assert not AuditEntry.objects.exists() and not DID.objects.filter(status="inactive").exists()
