"""lock_timeout and statement_timeout (core/db_timeouts.py): a request stuck behind
a row lock answers 503 "busy, nothing changed" after about the lock timeout, not a 500 and
not never; long-running commands have no statement timeout and say clearly when a lock
wait gives up."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.ledger.checks import balance_mismatches
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.purchase import purchase_did
from core.db_timeouts import BUSY_MESSAGE, DatabaseBusyMiddleware, long_running, timeout_code
from dids.models import DID
from tests.factories import DIDFactory

ROOT = Path(__file__).resolve().parents[1]
LONG_RUNNING = ["run_billing", "import_dids", "rate_cdrs", "billing_audit", "check_ledger"]


def session_timeouts() -> dict[str, str]:
    """This connection's lock_timeout and statement_timeout, in ms."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name IN ('lock_timeout', 'statement_timeout')")
        return dict(cursor.fetchall())


def in_a_thread(call):
    """``call`` on another thread's (new) connection."""
    out = {}

    def run():
        try:
            out["value"] = call()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return out["value"]


class RowLock:
    """Hold ``SELECT ... FOR UPDATE`` on one row from another connection, in an open
    transaction, until the block ends (a stuck session, an administrator's psql...)."""

    def __init__(self, model, pk):
        self.model, self.pk = model, pk
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self):
        try:
            with transaction.atomic():
                list(self.model.objects.select_for_update().filter(pk=self.pk))
                self.locked.set()
                self.release.wait(30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


@pytest.fixture
def reconnect_with():
    """Reconnect the test's connection with other ``-c`` options (read at connect time, as
    settings.py passes DB_LOCK_TIMEOUT_MS and DB_STATEMENT_TIMEOUT_MS); put them back after."""
    original = connection.settings_dict["OPTIONS"]

    def use(options: str):
        connection.settings_dict["OPTIONS"] = {**original, "options": options}
        connection.close()

    yield use
    connection.settings_dict["OPTIONS"] = original
    connection.close()


# --- configuration ------------------------------------------------------------------------------

def options_in_a_new_process(**env) -> dict:
    code = ("import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "billing_portal.settings", **env}
    for name in ("DB_LOCK_TIMEOUT_MS", "DB_STATEMENT_TIMEOUT_MS", "DB_CONNECT_TIMEOUT_S"):
        if name not in env or env[name] is None:
            env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_settings_pass_the_timeouts_to_postgresql_from_the_environment():
    url = "postgres://portal@db.example.com:5432/portal?options=-c%20search_path%3Dportal"
    assert options_in_a_new_process(DATABASE_URL=url, DB_LOCK_TIMEOUT_MS="1234", DB_STATEMENT_TIMEOUT_MS="0",
                                    DB_CONNECT_TIMEOUT_S="3") == {
        "options": "-c search_path=portal -c lock_timeout=1234 -c statement_timeout=0", "connect_timeout": 3,
    }
    defaults = options_in_a_new_process(DATABASE_URL="postgres://portal@db.example.com/portal",
                                        DB_LOCK_TIMEOUT_MS=None, DB_STATEMENT_TIMEOUT_MS=None,
                                        DB_CONNECT_TIMEOUT_S=None)
    assert defaults == {"options": "-c lock_timeout=5000 -c statement_timeout=30000", "connect_timeout": 5}
    assert options_in_a_new_process(DATABASE_URL="sqlite:///tmp/x.sqlite3") == {}  # SQLite has neither


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_new_connection_starts_with_the_configured_timeouts(settings):
    connection.close()
    expected = {"lock_timeout": str(settings.DB_LOCK_TIMEOUT_MS),
                "statement_timeout": str(settings.DB_STATEMENT_TIMEOUT_MS)}
    assert session_timeouts() == expected
    assert in_a_thread(session_timeouts) == expected


# --- web requests: 503, nothing changed ---------------------------------------------------------

def open_purchase(client, did) -> dict:
    response = client.get(reverse("resellers:purchase", args=[did.pk]))
    assert response.status_code == 200
    initial = response.context["form"].initial
    return {k: initial[k] for k in ("purchase_key", "sell_setup_fee", "sell_price")}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("options, which", [
    ("-c lock_timeout=1000 -c statement_timeout=30000", "lock timeout"),
    ("-c lock_timeout=0 -c statement_timeout=1000", "statement timeout"),  # no lock limit: the statement's fires
])
def test_a_purchase_stuck_behind_a_row_lock_answers_503_after_the_timeout_and_changes_nothing(
        reseller_client, reseller_user, reconnect_with, caplog, options, which):
    account = reseller_user.account
    add_funds(account_id=account.pk, amount=Decimal("100"))
    did = DIDFactory(setup_fee="5", monthly_fee="20")
    data = open_purchase(reseller_client, did)
    url = reverse("resellers:purchase", args=[did.pk])

    reconnect_with(options)
    with RowLock(DID, did.pk), caplog.at_level(logging.WARNING, logger="billing_portal.db"):
        started = time.monotonic()
        response = reseller_client.post(url, data)
        took = time.monotonic() - started

    assert response.status_code == 503
    assert BUSY_MESSAGE in response.content.decode()
    assert response["Retry-After"] == "5"
    assert 0.9 < took < 10  # about the timeout: neither at once nor forever
    assert f"database busy ({which}) on POST {url}" in caplog.text
    assert not Subscription.objects.filter(did=did).exists()
    assert DID.objects.get(pk=did.pk).holder_id is None
    assert Account.objects.get(pk=account.pk).balance.amount == Decimal("100")
    assert LedgerEntry.objects.filter(account=account).count() == 1  # the refill only
    assert balance_mismatches() == []

    # The lock is gone: the same form posted again buys it, once.
    response = reseller_client.post(url, data)
    assert response.status_code == 302
    assert Subscription.objects.get(did=did).account_id == account.pk
    assert Account.objects.get(pk=account.pk).balance.amount == Decimal("75")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_release_stuck_behind_a_row_lock_answers_503_and_keeps_the_did(reseller_client, reseller_user,
                                                                         reconnect_with):
    account = reseller_user.account
    add_funds(account_id=account.pk, amount=Decimal("100"))
    did = DIDFactory(setup_fee="5", monthly_fee="20")
    purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key="bought")
    form = {"did": [did.pk], "confirm": "1"}

    reconnect_with("-c lock_timeout=1000 -c statement_timeout=30000")
    with RowLock(DID, did.pk):
        started = time.monotonic()
        response = reseller_client.post(reverse("resellers:release"), form)
        assert time.monotonic() - started < 10

    assert response.status_code == 503 and BUSY_MESSAGE in response.content.decode()
    assert DID.objects.get(pk=did.pk).holder_id == account.pk
    assert Subscription.objects.get(did=did).status == Subscription.Status.ACTIVE
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).exists()

    assert reseller_client.post(reverse("resellers:release"), form).status_code == 302
    assert DID.objects.get(pk=did.pk).holder_id is None


def test_other_database_errors_are_left_alone():
    """A lost connection or a broken invariant is a real error (500, with its traceback), not "busy"."""
    middleware = DatabaseBusyMiddleware(lambda request: None)
    request = RequestFactory().post("/portal/dids/buy/1/")
    assert middleware.process_exception(request, OperationalError("server closed the connection")) is None
    assert middleware.process_exception(request, ValueError("no")) is None
    assert timeout_code(OperationalError("x")) is None


# --- long-running commands ----------------------------------------------------------------------

class Probe(BaseCommand):
    """A long-running command that reports the timeouts it runs with."""

    seen: dict = {}

    @long_running
    def handle(self, *args, **options):
        Probe.seen = {"own": session_timeouts(), "thread": in_a_thread(session_timeouts)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_long_running_command_has_no_statement_timeout_and_puts_the_web_ones_back(settings):
    settings.DB_COMMAND_LOCK_TIMEOUT_MS = 45000
    web = {"lock_timeout": str(settings.DB_LOCK_TIMEOUT_MS), "statement_timeout": str(settings.DB_STATEMENT_TIMEOUT_MS)}
    batch = {"lock_timeout": "45000", "statement_timeout": "0"}
    assert session_timeouts() == web  # the connection is open before the command (call_command)
    call_command(Probe())
    # Its own connection and one a thread opened while it ran (an import's writer does).
    assert Probe.seen == {"own": batch, "thread": batch}
    assert session_timeouts() == web
    assert in_a_thread(session_timeouts) == web


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_in_a_command_is_a_clear_error(settings):
    settings.DB_COMMAND_LOCK_TIMEOUT_MS = 500
    did = DIDFactory()

    class LocksTheDID(BaseCommand):
        @long_running
        def handle(self, *args, **options):
            with transaction.atomic():
                DID.objects.select_for_update().get(pk=did.pk)

    with RowLock(DID, did.pk):
        started = time.monotonic()
        with pytest.raises(CommandError, match=r"held by another session for more than 500 ms .*Run it again"):
            call_command(LocksTheDID())
        assert time.monotonic() - started < 10


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_the_batch_commands_are_long_running(name):
    command = load_command_class(get_commands()[name], name)
    assert type(command).handle.__code__ is long_running(lambda self: None).__code__
