"""Low-balance notices (issue 16, part 4): a charge that takes the balance from at or above the
account's threshold to below it sends one notice, whatever the charge (a purchase, a renewal, call
charges, an adjustment), and at most one per 24 hours however many charges follow."""

import csv
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.db.models import F

from accounts.models import Account
from billing.ledger.funds import add_funds, adjust
from billing.subscriptions.renewals import run_billing
from calls.importing.pipeline import rate_cdr_file
from core.money import money
from notices.models import EmailOptOut, Notice
from tests.billing.test_purchase_statements import FROM_THE_OPERATOR, statements_of
from tests.factories import DIDFactory
from tests.notices.conftest import D, T0, buy, days, funded, notices_of

LOW = Notice.Kind.LOW_BALANCE


def low_mails():
    return [m for m in mail.outbox if m.subject.startswith("Low balance")]


def call_charges(tmp_path, did, call_id, name="cdr.csv"):
    """One answered call to ``did`` an hour after T0, through the CDR import."""
    path = tmp_path / name
    with path.open("w", newline="") as file:
        csv.writer(file).writerows([["Call ID", "Start", "DID", "Answered Seconds"],
                                    [call_id, (T0 + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"), did.digits, "60"]])
    report = rate_cdr_file(path, write=True)
    assert report.charged == 1
    return report


def set_balance(account, amount):
    """Refill or adjust the account to ``amount`` (a credit does not cross downwards)."""
    now = Account.objects.get(pk=account.pk).balance.amount
    if D(amount) > now:
        add_funds(account_id=account.pk, amount=D(amount) - now)
    elif D(amount) < now:
        adjust(account_id=account.pk, amount=D(amount) - now, reason="test", by=None)


@pytest.fixture
def dids(db):
    # 5 + 20 to buy, 20 per 28-day renewal; a call costs 15 (its connection cost).
    return [DIDFactory(connection_cost=money(D("15"))), DIDFactory()]


def test_one_notice_in_24_hours_across_charges_of_every_kind(dids, on_commit, tmp_path):
    r = funded("100", threshold=D("60"))

    on_commit(buy, r, dids[0])  # 100 -> 75: not below 60
    assert notices_of(r) == []
    on_commit(buy, r, dids[1])  # 75 -> 50: below, the notice
    [notice] = notices_of(r, LOW)
    assert notice.subject == "Low balance: 50.0000 USD" and "below the 60.0000 USD" in notice.body
    assert notice.link == "/portal/statement/" and notice.emailed_to == r.email

    on_commit(set_balance, r, "150")
    on_commit(adjust, account_id=r.pk, amount=D("-95"), reason="Correction", by=None)  # 150 -> 55
    on_commit(set_balance, r, "70")
    assert on_commit(run_billing, now=days(28)).renewed == 2  # 70 -> 30
    on_commit(set_balance, r, "70")
    on_commit(call_charges, tmp_path, dids[0], "c1")  # 70 -> 55

    assert Account.objects.get(pk=r.pk).balance.amount == D("55")
    assert len(notices_of(r, LOW)) == 1  # four crossings within 24 hours: one notice
    assert [m.to for m in low_mails()] == [[r.email]]

    # A day later the next crossing is told again.
    Account.objects.filter(pk=r.pk).update(low_balance_notified_at=F("low_balance_notified_at") - timedelta(hours=24))
    on_commit(set_balance, r, "100")
    on_commit(adjust, account_id=r.pk, amount=D("-41"), reason="Correction", by=None)
    assert len(notices_of(r, LOW)) == 2 and len(low_mails()) == 2
    assert notices_of(r, LOW)[0].subject == "Low balance: 59.0000 USD"  # newest first


@pytest.mark.parametrize("charge", ["purchase", "renewal", "call charges", "adjustment"])
def test_each_kind_of_charge_that_crosses_sends_the_notice(dids, on_commit, tmp_path, charge):
    r = funded("100", threshold=D("20"))
    if charge != "purchase":
        buy(r, dids[0])  # 75 left
    set_balance(r, "30")  # above 20: each charge below takes it under
    assert notices_of(r) == []
    {
        "purchase": lambda: on_commit(buy, r, dids[1]),  # 25
        "renewal": lambda: on_commit(run_billing, now=days(28)),  # 20
        "call charges": lambda: on_commit(call_charges, tmp_path, dids[0], "c1"),  # 15
        "adjustment": lambda: on_commit(adjust, account_id=r.pk, amount=D("-15"), reason="x", by=None),
    }[charge]()
    assert len(notices_of(r, LOW)) == 1
    assert len(low_mails()) == 1
    assert Account.objects.get(pk=r.pk).low_balance_notified_at is not None


def test_no_notice_when_the_threshold_is_off_or_not_crossed(dids, on_commit):
    off = funded("30", threshold=None)
    on_commit(buy, off, dids[0])  # 30 -> 5, no threshold
    above = funded("100", threshold=D("10"))
    on_commit(buy, above, dids[1])  # 100 -> 75: still above
    on_commit(adjust, account_id=above.pk, amount=D("-65"), reason="x", by=None)  # 75 -> 10: not below 10
    already_below = funded("5", threshold=D("10"))
    on_commit(adjust, account_id=already_below.pk, amount=D("-1"), reason="x", by=None)  # 5 -> 4: was below
    assert not Notice.objects.exists() and low_mails() == []
    assert not Account.objects.filter(low_balance_notified_at__isnull=False).exists()


def test_the_purchase_runs_its_eight_statements_when_no_threshold_is_crossed(db):
    buyer = funded("1000", threshold=D("100"), email=False)
    dids = [DIDFactory() for _ in range(3)]
    buy(buyer, dids[0])  # this process's first purchase compiles its statements
    assert statements_of(lambda: buy(buyer, dids[1], now=days(1))) == FROM_THE_OPERATOR
    # Crossing adds the notice's INSERT and the look for a balance.low webhook endpoint (one SELECT,
    # at most once a day per account; with an endpoint, the event's and deliveries' INSERTs too:
    # webhooks/outbox.py); the balance UPDATE also writes the time of the notice.
    Account.objects.filter(pk=buyer.pk).update(low_balance_threshold=D("930"))
    crossing = statements_of(lambda: buy(buyer, dids[2], now=days(2)))  # 950 -> 925
    extra = {"INSERT notices_notice", "SELECT webhooks_endpoint", "LOCK webhooks_endpoint"}  # SQLite: LOCK
    assert [s for s in crossing if s not in extra] == FROM_THE_OPERATOR
    assert crossing.count("INSERT notices_notice") == 1


def test_the_e_mail_follows_the_accounts_choice(dids, on_commit):
    in_app_only = funded("30", threshold=D("10"))
    EmailOptOut.objects.create(account=in_app_only, kind=LOW)
    no_address = funded("30", threshold=D("10"), email=False)
    by_email = funded("30", threshold=D("10"))
    EmailOptOut.objects.create(account=by_email, kind=Notice.Kind.PRICE_CHANGED)  # another kind: no effect here
    for account, did in zip((in_app_only, no_address, by_email), (dids[0], dids[1], DIDFactory())):
        on_commit(buy, account, did)
    assert {n.account_id: n.emailed_to for n in Notice.objects.all()} == {
        in_app_only.pk: "", no_address.pk: "", by_email.pk: by_email.email}
    assert [m.to for m in low_mails()] == [[by_email.email]]
    assert "Low balance" in mail.outbox[0].body and "/notices/settings/" in mail.outbox[0].body


def test_a_rolled_back_charge_sends_nothing(dids, django_capture_on_commit_callbacks):
    r = funded("30", threshold=D("10"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            adjust(account_id=r.pk, amount=D("-25"), reason="x", by=None)
            assert len(notices_of(r, LOW)) == 1  # written in the charge's transaction...
            raise RuntimeError("the change fails after the charge")
    assert callbacks == [] and mail.outbox == []  # ...and gone with it, e-mail included
    assert notices_of(r) == [] and Account.objects.get(pk=r.pk).low_balance_notified_at is None


@pytest.mark.django_db(transaction=True)
def test_the_e_mail_leaves_after_a_real_commit_once_and_never_after_a_rollback():
    r = funded("30", threshold=D("10"))
    with pytest.raises(RuntimeError), transaction.atomic():
        adjust(account_id=r.pk, amount=D("-25"), reason="x", by=None)
        raise RuntimeError("rolled back")
    assert mail.outbox == [] and not Notice.objects.exists()

    with transaction.atomic():
        adjust(account_id=r.pk, amount=D("-25"), reason="x", by=None)
        assert mail.outbox == []  # not before the commit
    assert [m.to for m in mail.outbox] == [[r.email]]
    assert Notice.objects.get().emailed_to == r.email
