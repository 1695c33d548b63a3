"""Revenue assurance (billing/assurance.py, manage.py billing_audit, /billing/audit/):
a clean world audits clean; each kind of problem is found, named, and makes the
command exit 1; the page lists it; the number of queries does not grow with the
number of subscriptions.

The world is built relative to the real clock (purchases in the past, then a
billing run "now"), so the page, which audits at the current time, sees it as
the command does.
"""

import itertools
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from billing.assurance import run_audit
from billing.ledger.funds import add_funds
from billing.ledger.posting import lock_accounts, post
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.purchase import purchase_did
from billing.subscriptions.release import release_did
from billing.subscriptions.renewals import run_billing
from core.money import money
from dids.models import DID
from tests.factories import DIDFactory, make_account_user

D = Decimal
NOW = timezone.now().replace(microsecond=0)
T0 = NOW - timedelta(days=65)  # three 30-day periods: T0, T0+30, T0+60 (paid to NOW+25 days)
URL = reverse("billing:audit")
_keys = itertools.count()


def funded(amount, kind=Account.Kind.RESELLER, parent=None, name=None):
    user = make_account_user(kind, parent=parent, name=name)
    add_funds(account_id=user.account_id, amount=D(amount))
    return user.account


def buy(account, did, now):
    return purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=f"audit-{next(_keys)}", now=now).subscription


def recurring(**fields):
    return DIDFactory(setup_fee="1", monthly_fee="10", billing_days=30, **fields)


def refreshed(sub):
    return Subscription.objects.get(pk=sub.pk)


@pytest.fixture
def command_line(monkeypatch):
    """manage.py as from a shell, inside the test's transaction: run_from_argv closes
    the database connections when it ends, which would end the transaction."""
    from django.core.management import base

    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    return lambda *args: execute_from_command_line(["manage.py", "billing_audit", *args])


def audit(*args) -> tuple[int, str, str]:
    """manage.py billing_audit as from the command line: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("billing_audit", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def world(db):
    """A reseller R holding two DIDs, one sold on to its customer C; a DID released;
    a One Time DID; a buyer too poor to renew (suspended, in its grace); then the
    billing run at NOW."""
    r = funded("1000", name="R Telecom")
    c = funded("500", Account.Kind.CUSTOMER, parent=r, name="C Customer")
    poor = funded("11", name="Poor Reseller")
    sold_on, kept, released = recurring(), recurring(), recurring()
    one_time = DIDFactory(setup_fee="0", monthly_fee="5", billing_days=30, billing_type=DID.BillingType.ONE_TIME)
    subs = {
        "r_sold_on": buy(r, sold_on, T0),
        "c_bought": buy(c, sold_on, T0 + timedelta(hours=1)),
        "r_kept": buy(r, kept, T0 + timedelta(days=2)),
        "released": buy(r, released, T0),
        "one_time": buy(r, one_time, NOW - timedelta(days=10)),
        "poor_sub": buy(poor, recurring(), NOW - timedelta(days=31)),
    }
    release_did(account_id=r.pk, did_id=released.pk, now=T0 + timedelta(days=5))
    report = run_billing(now=NOW)
    assert report.renewed == 6 and report.suspended == 1  # 2 periods each for R's two and C's; Poor: short
    subs = {name: refreshed(sub) for name, sub in subs.items()}
    assert subs["poor_sub"].grace_until is not None and subs["released"].status == "ended"
    accounts = {name: Account.objects.get(pk=a.pk) for name, a in (("r", r), ("c", c), ("poor", poor))}
    return {**accounts, **subs}


# --- clean ------------------------------------------------------------------------

def test_a_clean_world_audits_clean(world, admin_client, command_line):
    report = run_audit(now=NOW)
    assert report.ok, report.summary
    assert (report.subscriptions_checked, report.suspended_checked, report.accounts_checked) == (5, 1, 3)

    status, out, err = audit(f"--now={NOW.isoformat()}")
    assert status == 0, out + err
    assert "5 active subscriptions (1 suspended) and 3 accounts checked" in out
    assert out.strip().endswith("Billing audit OK: no problems found.")
    # From the command line: no SystemExit at all (exit status 0).
    command_line(f"--now={NOW.isoformat()}")

    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="audit-ok">No problems found.' in html
    assert "finding-" not in html
    assert f'<a class="nav-link active" href="{URL}">Revenue assurance</a>' in html


def test_an_empty_database_audits_clean(db):
    status, out, _ = audit()
    assert status == 0 and "0 active subscriptions (0 suspended) and 0 accounts checked" in out


def test_only_admins_see_the_page(client, reseller_user, customer_user):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for user in (reseller_user, customer_user):
        client.force_login(user)
        assert client.get(URL).status_code == 403


# --- each finding ------------------------------------------------------------------

def _drop_one_charge_per_period_index():
    """Lose the unique index (as a damaged or hand-migrated database might). DDL is
    transactional on PostgreSQL and SQLite: the test's rollback puts it back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no DDL with pending trigger events
        cursor.execute("DROP INDEX ledger_one_charge_per_period")
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_a_duplicate_charge_is_found(world, admin_client, command_line, capsys):
    sub = world["r_kept"]  # paid T0+2 .. T0+92: charges at T0+2, T0+32, T0+62
    _drop_one_charge_per_period_index()
    again = sub.period_start  # the last renewal's period, charged a second time
    account = lock_accounts([sub.account_id])[sub.account_id]
    entry = post(account=account, amount=D("-10"), kind=LedgerEntry.Kind.RENEWAL, did=sub.did, subscription=sub,
                 period_start=again, period_end=sub.period_end, description="a renewal charged twice")

    report = run_audit(now=NOW)
    assert [(f.kind, f.subscription_id, f.period_start, f.amount) for f in report.subscription_findings] == [
        ("duplicate", sub.pk, again, D("10.0000"))]
    assert report.duplicates[0].account_number == world["r"].number
    assert report.duplicates[0].did_shown == sub.did.shown != sub.did.digits  # +1 202-555-…
    assert f"#{entry.seq}" in report.duplicates[0].detail
    assert not report.balances  # the extra charge went through the ledger: the balance still matches

    status, out, err = audit(f"--now={NOW.isoformat()}")
    assert status == 1
    assert f"Subscription {sub.pk} (Active), account {world['r'].number}" in out
    assert f"DID {sub.did.shown}" in out and "charged 2 times" in out and "10.0000 charged too much" in out
    assert "1 duplicate charge" in err
    with pytest.raises(SystemExit) as exit_:
        command_line(f"--now={NOW.isoformat()}")
    assert exit_.value.code == 1
    assert "Billing audit failed: 1 problem found: 1 duplicate charge." in capsys.readouterr().err

    html = admin_client.get(URL).content.decode()
    assert f'data-testid="finding-duplicate-{sub.pk}"' in html
    assert '<td class="money">10.0000</td>' in html
    assert "1 problem found: 1 duplicate charge." in html


def test_a_missing_period_is_found(world, admin_client):
    """The subscription says it is paid one period further than it was charged."""
    sub = world["c_bought"]
    charged_to = sub.period_end
    Subscription.objects.filter(pk=sub.pk).update(period_end=charged_to + timedelta(days=30))

    report = run_audit(now=NOW)
    assert [(f.kind, f.subscription_id, f.period_start, f.period_end) for f in report.subscription_findings] == [
        ("missing", sub.pk, charged_to, charged_to + timedelta(days=30))]
    assert report.gaps[0].account_number == world["c"].number

    status, out, err = audit(f"--now={NOW.isoformat()}")
    assert status == 1
    assert f"Subscription {sub.pk} (Active), account {world['c'].number} C Customer, DID {sub.did.shown}" in out
    assert "but its charges end at" in out and "1 missing or misaligned charge" in err

    html = admin_client.get(URL).content.decode()
    assert f'data-testid="finding-missing-{sub.pk}"' in html and "Missing charge" in html


def test_a_gap_between_charges_a_missing_start_and_a_misaligned_end_are_found(world):
    """The charges must tile [started_at, period_end): the first break of each is reported."""
    middle, start, end = world["r_sold_on"], world["r_kept"], world["poor_sub"]
    # middle: a charge for the period after next, nothing for the next one.
    account = lock_accounts([middle.account_id])[middle.account_id]
    later = middle.period_end + timedelta(days=30)
    post(account=account, amount=D("-10"), kind=LedgerEntry.Kind.RENEWAL, did=middle.did, subscription=middle,
         period_start=later, period_end=later + timedelta(days=30), description="skipped a period")
    Subscription.objects.filter(pk=middle.pk).update(period_start=later, period_end=later + timedelta(days=30))
    # start: it claims to have started a day before its first charge.
    Subscription.objects.filter(pk=start.pk).update(started_at=start.started_at - timedelta(days=1))
    # end (suspended): paid to less than its charges cover.
    Subscription.objects.filter(pk=end.pk).update(period_end=end.period_end - timedelta(days=1))

    found = {f.subscription_id: f for f in run_audit(now=NOW).gaps}
    assert set(found) == {middle.pk, start.pk, end.pk}
    assert (found[middle.pk].kind, found[middle.pk].period_start, found[middle.pk].period_end) == (
        "missing", middle.period_end, later)
    assert (found[start.pk].kind, found[start.pk].period_start, found[start.pk].period_end) == (
        "missing", start.started_at - timedelta(days=1), start.started_at)
    assert (found[end.pk].kind, found[end.pk].status, found[end.pk].period_end) == (
        "misaligned", "Suspended", end.period_end)


def test_an_overdue_subscription_is_found(world, admin_client):
    """Time moves on and nobody runs billing."""
    later = NOW + timedelta(days=40)  # R's and C's periods ended 15 and 13 days ago; Poor's grace ended
    report = run_audit(now=later)
    overdue = {f.subscription_id: f for f in report.overdue}
    assert set(overdue) == {world[k].pk for k in ("r_sold_on", "c_bought", "r_kept", "one_time", "poor_sub")}
    assert not report.duplicates and not report.gaps and not report.balances
    kept = overdue[world["r_kept"].pk]
    assert (kept.period_start, kept.period_end) == (world["r_kept"].period_end,
                                                    world["r_kept"].period_end + timedelta(days=30))
    assert "was not charged" in kept.detail
    assert "never released" in overdue[world["poor_sub"].pk].detail
    assert overdue[world["poor_sub"].pk].status == "Suspended"
    assert "One Time period ended" in overdue[world["one_time"].pk].detail

    status, out, err = audit(f"--now={later.isoformat()}")
    assert status == 1 and "5 overdue subscriptions" in err
    assert f"Subscription {world['r_kept'].pk} (Active), account {world['r'].number}" in out
    # Within the tolerance it is not overdue yet: the run may simply not have come round.
    assert audit(f"--now={later.isoformat()}", "--tolerance-hours=2000")[0] == 0


def test_overdue_waits_for_the_tolerance(db):
    """Due 23 hours ago: within the default day; past a 22-hour tolerance."""
    sub = buy(funded("100"), recurring(), NOW - timedelta(days=30, hours=23))
    assert audit(f"--now={NOW.isoformat()}")[0] == 0
    status, out, _ = audit(f"--now={NOW.isoformat()}", "--tolerance-hours=22")
    assert status == 1 and f"Subscription {sub.pk} (Active)" in out and "started 23 hours ago" in out


def test_the_page_lists_an_overdue_subscription(admin_client, db):
    """Bought 40 days ago (30-day periods) and the billing run never ran."""
    r = funded("100", name="Forgotten")
    sub = buy(r, recurring(), timezone.now() - timedelta(days=40))
    html = admin_client.get(URL).content.decode()
    assert f'data-testid="finding-overdue-{sub.pk}"' in html
    assert "1 problem found: 1 overdue subscription." in html and r.number in html
    assert audit()[0] == 1


def test_a_balance_that_differs_from_the_ledger_is_found(world, admin_client):
    """Behind the ledger's back (on PostgreSQL the deferred check would refuse it at
    commit; the test's transaction never commits). Put back before the suite's check."""
    account = world["c"]
    Account.objects.filter(pk=account.pk).update(balance=money(account.balance.amount + D("7.5")))
    try:
        report = run_audit(now=NOW)
        assert [(b.account_number, b.difference) for b in report.balances] == [(account.number, D("7.5000"))]
        assert not report.subscription_findings

        status, out, err = audit(f"--now={NOW.isoformat()}")
        assert status == 1 and "1 balance that differs from the ledger" in err
        assert f"Account {account.number} C Customer: balance" in out and "(difference 7.5000)" in out

        html = admin_client.get(URL).content.decode()
        assert f'data-testid="finding-balance-{account.number}"' in html
        assert '<td class="money text-danger">7.5000</td>' in html
    finally:
        Account.objects.filter(pk=account.pk).update(balance=account.balance)


def test_bad_options_are_refused(db):
    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("billing_audit", "--now=yesterday", stdout=StringIO())
    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("billing_audit", "--tolerance-hours=-1", stdout=StringIO())


# --- cost -------------------------------------------------------------------------------

def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_page_runs_a_fixed_number_of_queries(admin_client, db):
    r = funded("10000", name="Many")
    buy(r, recurring(), timezone.now() - timedelta(days=40))  # one overdue finding
    few = _page_queries(admin_client)
    for _ in range(8):  # more subscriptions, more findings of every kind
        sub = buy(r, recurring(), timezone.now() - timedelta(days=40))
        Subscription.objects.filter(pk=sub.pk).update(period_end=sub.period_end + timedelta(days=1))
    assert len(run_audit().subscription_findings) == 17
    many = _page_queries(admin_client)
    assert many == few
    assert many <= 7  # session, user, and the audit's five statements


def test_the_index_is_back_after_the_duplicate_test(db):
    """The DROP INDEX above was rolled back with its test."""
    with connection.cursor() as cursor:
        names = [i for i in connection.introspection.get_constraints(cursor, LedgerEntry._meta.db_table)]
    assert "ledger_one_charge_per_period" in names
