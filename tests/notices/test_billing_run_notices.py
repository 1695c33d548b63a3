"""The billing run's notices (renewal due with funds short, suspended, reinstated, released) and the
releases by hand arrive in the portal and, by each account's choice, by e-mail; each once."""

import pytest
from django.core import mail

from accounts.models import Account
from billing.ledger.funds import add_funds, adjust
from billing.models import Notification
from billing.subscriptions.release import admin_release_did, release_did
from billing.subscriptions import renewals
from billing.subscriptions.renewals import run_billing
from dids.models import DID
from notices.models import EmailOptOut, Notice
from tests.factories import DIDFactory
from tests.notices.conftest import D, buy, days, funded, notices_of

K = Notice.Kind


@pytest.fixture
def recurring(db):
    return DIDFactory(setup_fee="1", monthly_fee="10", billing_days=30, billing_type=DID.BillingType.RECURRING)


def test_renewal_short_suspended_and_reinstated_arrive_in_the_portal_once(recurring, on_commit):
    r = funded("15")  # 4 left after the purchase; the renewal needs 10
    buy(r, recurring)
    assert on_commit(run_billing, now=days(27)).notices == 1
    assert on_commit(run_billing, now=days(28)).notices == 0  # once per period
    [short] = notices_of(r, K.RENEWAL_SHORT)
    assert short.subject == f"DID {recurring.shown}: low balance before renewal"
    assert short.link == f"/portal/dids/?number={recurring.digits}" and short.read_at is None

    on_commit(run_billing, now=days(30))
    on_commit(run_billing, now=days(31))  # retried, still short: no second notice
    [suspended] = notices_of(r, K.SUSPENDED)
    assert "needs 10.0000 USD; you have 4.0000 USD available" in suspended.body

    add_funds(account_id=r.pk, amount=D("10"))
    on_commit(run_billing, now=days(32))
    [reinstated] = notices_of(r, K.REINSTATED)
    assert "active again" in reinstated.subject
    # Each notice in the portal had its one e-mail, and its Notification (the run's record) says where.
    assert [m.subject for m in mail.outbox] == [short.subject, suspended.subject, reinstated.subject]
    assert set(Notification.objects.values_list("email", flat=True)) == {r.email}


def test_an_account_that_chose_in_app_only_gets_no_e_mail_but_the_notice(recurring, on_commit):
    r = funded("11")
    EmailOptOut.objects.create(account=r, kind=K.SUSPENDED)
    buy(r, recurring)
    on_commit(run_billing, now=days(30))
    [notice] = notices_of(r, K.SUSPENDED)
    assert notice.emailed_to == "" and mail.outbox == []
    assert Notification.objects.get(kind="suspended").email == ""


def test_a_release_at_the_end_of_the_grace_tells_every_account_that_lost_the_number(recurring, on_commit):
    r = funded("100")
    s = funded("100", parent=r)
    c = funded("100", Account.Kind.CUSTOMER, parent=s)
    for account in (r, s, c):
        buy(account, recurring)
    adjust(account_id=r.pk, amount=-Account.objects.get(pk=r.pk).balance.amount, reason="Chargeback", by=None)
    assert on_commit(run_billing, now=days(40)).released == 3
    for account in (r, s, c):
        [notice] = notices_of(account, K.RELEASED)
        assert notice.subject == f"DID {recurring.shown} released" and notice.link == "/portal/statement/"
    assert "for " in notices_of(c, K.RELEASED)[0].body  # below the reseller: says whose renewal failed
    assert sorted(m.to[0] for m in mail.outbox if "released" in m.subject) == sorted([r.email, s.email, c.email])
    on_commit(run_billing, now=days(41))
    assert Notice.objects.filter(kind=K.RELEASED).count() == 3


def test_the_operator_taking_a_did_back_tells_each_account_of_its_chain(recurring, on_commit):
    r = funded("100")
    c = funded("100", Account.Kind.CUSTOMER, parent=r)
    bystander = funded("100")
    buy(r, recurring)
    buy(c, recurring)
    assert on_commit(admin_release_did, did_id=recurring.pk, by=None) == 2
    for account in (r, c):
        [notice] = notices_of(account, K.RELEASED)
        assert "the operator took the number back" in notice.body
    assert notices_of(bystander) == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted([r.email, c.email])


def test_a_holder_releasing_its_own_did_is_not_told_about_it(recurring, on_commit):
    r = funded("100")
    buy(r, recurring)
    on_commit(release_did, account_id=r.pk, did_id=recurring.pk)
    assert notices_of(r) == [] and mail.outbox == []


def test_notices_of_a_billing_batch_that_rolls_back_are_not_kept_nor_sent(recurring, monkeypatch, on_commit):
    r = funded("11")
    buy(r, recurring)
    settle = renewals._Batch.settle

    def settle_then_fail(batch):
        settle(batch)  # the suspension and its notice are written...
        raise RuntimeError("...and the batch fails before it commits")

    monkeypatch.setattr(renewals._Batch, "settle", settle_then_fail)
    with pytest.raises(RuntimeError):
        on_commit(run_billing, now=days(30))
    assert Notice.objects.count() == 0 and Notification.objects.count() == 0 and mail.outbox == []
