"""One place for locks (core/locking.py): no row lock is written anywhere else, the order
DIDs -> holdings -> accounts is enforced, and each lock is as strong as the change needs
(FOR NO KEY UPDATE unless a key changes) on PostgreSQL."""

import ast
import re
import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connection, transaction

from accounts.models import Account
from billing.models import Subscription
from core import locking
from dids.models import DID
from tests.factories import DIDFactory, make_account_user

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["billing_portal", "core", "accounts", "audit", "dids", "billing", "calls", "routing", "resellers"]
LOCK_SQL = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b|pg_advisory", re.I)


def _docstrings(tree) -> set[int]:
    """ids of the string constants that are docstrings (prose may name SQL)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def row_locks_outside_core_locking() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "core/locking.py" or "/migrations/" in relative:
                continue
            tree = ast.parse(path.read_text())
            docstrings = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
                    found.append(f"{relative}:{node.lineno} select_for_update")
                elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                      and LOCK_SQL.search(node.value)):
                    found.append(f"{relative}:{node.lineno} {LOCK_SQL.search(node.value).group(0)}")
    return sorted(found)


def test_every_row_lock_goes_through_core_locking():
    assert row_locks_outside_core_locking() == []


def test_the_scan_would_find_one(tmp_path, monkeypatch):
    fake = tmp_path / "billing" / "sneaky.py"
    fake.parent.mkdir()
    fake.write_text('"""Docs may say FOR UPDATE."""\nrows = Q.objects.select_for_update()\nSQL = "SELECT 1 FOR NO KEY UPDATE"\n')
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    monkeypatch.setattr(f"{__name__}.PACKAGES", ["billing"])
    assert row_locks_outside_core_locking() == ["billing/sneaky.py:2 select_for_update",
                                                 "billing/sneaky.py:3 FOR NO KEY UPDATE"]


def test_an_earlier_kind_after_a_later_one_is_refused(db):
    did = DIDFactory()
    account = make_account_user().account
    with transaction.atomic():
        locking.lock_did(DID.objects.filter(pk=did.pk))
        locking.lock_holdings(Subscription.objects.filter(did=did))
        locking.lock_accounts(Account.objects.filter(pk=account.pk))
        with pytest.raises(locking.LockOrderError, match="DIDs locked after accounts"):
            locking.lock_did(DID.objects.filter(pk=did.pk))
    with transaction.atomic():  # a new transaction starts over
        locking.lock_accounts(Account.objects.filter(pk=account.pk))
    with transaction.atomic():
        locking.lock_did(DID.objects.filter(pk=did.pk))


def _key_share_waits(did_pk) -> bool:
    """From another connection: does FOR KEY SHARE on the DID (what inserting a row that points
    at it takes) have to wait?"""
    outcome = {}

    def other():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
                cursor.execute("SELECT id FROM dids_did WHERE id = %s FOR KEY SHARE", [did_pk])
            outcome["waited"] = False
        except OperationalError:
            outcome["waited"] = True
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    return outcome["waited"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_key_locks_let_others_point_at_the_row_but_a_key_change_does_not():
    did = DIDFactory()
    with transaction.atomic():
        locking.lock_did(DID.objects.filter(pk=did.pk))  # a purchase, a price change: no key changes
        assert _key_share_waits(did.pk) is False
    with transaction.atomic():
        locking.lock_did(DID.objects.filter(pk=did.pk), key_change=True)  # a delete, a new number
        assert _key_share_waits(did.pk) is True
