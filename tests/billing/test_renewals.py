"""The billing run, scenario by scenario (DESIGN.md section 5): renewals at the
price in effect, catch-up, One Time expiry, grace -> reinstate, grace -> release,
cascade release, notices, and the command."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds, adjust
from billing.models import LedgerEntry, Notification, Subscription
from dids.models import DIDHistory
from billing.prices.book import set_sell_cost
from billing.subscriptions.purchase import purchase_did
from billing.subscriptions.release import release_did
from billing.subscriptions.renewals import run_billing
from dids.models import DID
from tests.factories import DIDFactory, make_account_user, make_admin

D = Decimal
T0 = timezone.make_aware(timezone.datetime(2026, 1, 1, 12, 0))


def days(n):
    return T0 + timedelta(days=n)


def funded(amount, kind=Account.Kind.RESELLER, parent=None, name=None):
    user = make_account_user(kind, parent=parent, name=name, email=f"{kind}{amount}@example.com")
    add_funds(account_id=user.account_id, amount=D(amount))
    return user.account


def buy(account, did, sell=None, now=T0):
    sell = sell or {}
    return purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=f"k{account.pk}-{did.pk}-{now.timestamp()}",
                        now=now, **sell).subscription


def charges(sub):
    return list(LedgerEntry.objects.filter(subscription=sub, kind__in=["did_price", "renewal"])
                .order_by("period_start").values_list("period_start", "amount"))


def balance(account):
    return Account.objects.get(pk=account.pk).balance.amount


def refreshed(sub):
    return Subscription.objects.get(pk=sub.pk)


@pytest.fixture
def recurring(db):
    return DIDFactory(setup_fee="1", monthly_fee="10", billing_days=30, billing_type=DID.BillingType.RECURRING)


def test_nothing_due_nothing_charged(recurring):
    r = funded("100")
    buy(r, recurring)
    report = run_billing(now=days(29))
    assert report.renewed == 0 and report.batches == 0
    assert balance(r) == D("89")


def test_a_recurring_subscription_renews_once_per_period_at_its_due_date(recurring):
    r = funded("100")
    sub = buy(r, recurring)
    assert run_billing(now=days(30)).renewed == 1
    assert run_billing(now=days(30)).renewed == 0  # the same clock again: nothing
    assert run_billing(now=days(45)).renewed == 0
    sub = refreshed(sub)
    assert (sub.period_start, sub.period_end) == (days(30), days(60))
    assert charges(sub) == [(days(0), -D("10")), (days(30), -D("10"))]
    assert balance(r) == D("79")  # 100 - setup 1 - 10 - 10: no setup fee on renewal


def test_missed_runs_catch_up_period_by_period_in_order(recurring):
    r = funded("100")
    sub = buy(r, recurring)
    report = run_billing(now=days(95))  # three periods missed: 30, 60, 90
    assert report.renewed == 3
    assert [start for start, _ in charges(sub)] == [days(0), days(30), days(60), days(90)]
    entries = LedgerEntry.objects.filter(account=r, kind="renewal").order_by("seq")
    assert [e.period_start for e in entries] == [days(30), days(60), days(90)]
    assert [e.balance_after.amount for e in entries] == [D("79"), D("69"), D("59")]
    assert refreshed(sub).period_end == days(120)


def test_a_new_price_applies_from_the_next_renewal_and_the_statement_says_so(recurring):
    admin = make_admin()
    r = funded("100")
    sub = buy(r, recurring)
    set_sell_cost(did_id=recurring.pk, seller_id=None, buyer_id=r.pk, setup_fee=D("1"), price=D("7.5"), by=admin)
    assert refreshed(sub).price.amount == D("10")  # the running period keeps its snapshot
    run_billing(now=days(30))
    renewal = LedgerEntry.objects.get(account=r, kind="renewal")
    assert renewal.amount.amount == D("-7.5")
    assert "at 7.5000 per 30 days (new price; was 10.0000)" in renewal.description
    assert refreshed(sub).price.amount == D("7.5")


def test_the_seller_is_credited_each_renewal_of_its_buyer(recurring):
    r = funded("100")
    c = funded("100", Account.Kind.CUSTOMER, parent=r)
    buy(r, recurring, {"sell_setup_fee": D("2"), "sell_price": D("15")})
    c_sub = buy(c, recurring)
    run_billing(now=days(30))
    assert balance(c) == D("100") - 17 - 15
    assert balance(r) == D("100") - 11 + 17 - 10 + 15
    sale = LedgerEntry.objects.get(account=r, kind="sale", period_start=days(30))
    assert sale.subscription_id == c_sub.pk and sale.amount.amount == D("15")


def test_one_time_ends_at_the_end_of_its_period_and_returns_to_the_pool(db):
    did = DIDFactory(setup_fee="0", monthly_fee="5", billing_days=28, billing_type=DID.BillingType.ONE_TIME)
    r = funded("100")
    c = funded("100", Account.Kind.CUSTOMER, parent=r)
    r_sub = buy(r, did)
    c_sub = buy(c, did)
    assert run_billing(now=days(27)).expired == 0
    report = run_billing(now=days(28))
    assert report.expired == 2 and report.renewed == 0
    assert refreshed(r_sub).status == refreshed(c_sub).status == "ended"
    assert DID.objects.get(pk=did.pk).holder_id is None  # back in the operator's pool
    assert LedgerEntry.objects.filter(kind="release").count() == 2  # a statement line at each level
    assert DIDHistory.objects.filter(did=did, action="released").count() == 2
    assert balance(r) == D("95") + 5  # paid 5, was paid 5 by C; no charge after the end
    assert not LedgerEntry.objects.filter(kind="renewal").exists()


@pytest.fixture
def sent_on_commit(django_capture_on_commit_callbacks):
    """Run billing with its after-commit callbacks (the emails) executed, as a real commit would."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return run_billing(now=now)

    return run


def test_funds_short_suspends_then_a_refill_reinstates_at_the_next_run(recurring, sent_on_commit):
    r = funded("11")  # exactly the purchase: nothing left for the renewal
    sub = buy(r, recurring)
    report = sent_on_commit(days(30))
    assert report.suspended == 1 and report.renewed == 0
    sub = refreshed(sub)
    assert sub.is_suspended and sub.grace_until == days(33) and sub.status == "active"
    assert DID.objects.get(pk=recurring.pk).holder_id == r.pk  # it keeps the number during the grace
    assert [m.subject for m in mail.outbox] == [f"DID {recurring.shown} suspended: renewal failed"]
    assert "needs 10.0000 USD; you have 0.0000 USD available" in mail.outbox[0].body

    assert sent_on_commit(days(31)).suspended == 0  # retried, still short, no second notice
    assert len(mail.outbox) == 1

    add_funds(account_id=r.pk, amount=D("10"))
    report = sent_on_commit(days(32))
    assert report.reinstated == 1 and report.renewed == 1
    sub = refreshed(sub)
    assert not sub.is_suspended and sub.period_start == days(30) and sub.period_end == days(60)
    assert charges(sub)[-1] == (days(30), -D("10"))  # the unpaid period, charged from its due date
    assert "active again" in mail.outbox[-1].subject


def test_still_unpaid_at_the_end_of_the_grace_period_is_released(recurring, sent_on_commit):
    r = funded("11")
    sub = buy(r, recurring)
    sent_on_commit(days(30))
    assert sent_on_commit(days(32)).released == 0
    report = sent_on_commit(days(33))
    assert report.released == 1
    sub = refreshed(sub)
    assert sub.status == "ended" and sub.ended_at == days(33)
    assert DID.objects.get(pk=recurring.pk).holder_id is None
    release = LedgerEntry.objects.get(account=r, kind="release")
    assert release.amount.amount == 0 and "grace period ended" in release.description
    assert charges(sub) == [(days(0), -D("10"))]  # nothing charged for the period it did not pay
    assert mail.outbox[-1].subject == f"DID {recurring.shown} released"


def test_a_release_cascades_down_the_chain_with_ledger_and_history_at_each_level(recurring):
    r = funded("100")
    s = funded("100", parent=r)
    c = funded("100", Account.Kind.CUSTOMER, parent=s)  # everyone below the reseller can pay...
    subs = [buy(r, recurring), buy(s, recurring), buy(c, recurring)]
    adjust(account_id=r.pk, amount=-balance(r), reason="Chargeback", by=make_admin())  # ...the reseller cannot
    report = run_billing(now=days(40))  # past the due date + 3 days of grace
    assert report.released == 3
    assert [refreshed(x).status for x in subs] == ["ended"] * 3
    for account in (r, s, c):
        assert LedgerEntry.objects.filter(account=account, kind="release").count() == 1
        assert DIDHistory.objects.filter(did=recurring, account=account, action="released").exists()
    assert {n.account_id for n in Notification.objects.filter(kind="released")} == {r.pk, s.pk, c.pk}
    # No one below was charged for a period their seller no longer held.
    assert not LedgerEntry.objects.filter(kind="renewal").exists()


def test_low_balance_warns_once_before_the_renewal(recurring, sent_on_commit):
    r = funded("15")  # 4 left after the purchase; the renewal needs 10
    buy(r, recurring)
    assert sent_on_commit(days(26)).notices == 0  # 4 days ahead: outside the 3-day window
    assert sent_on_commit(days(27)).notices == 1
    assert sent_on_commit(days(28)).notices == 0  # once per period
    assert mail.outbox[-1].subject == f"DID {recurring.shown}: low balance before renewal"
    assert mail.outbox[-1].to == [Account.objects.get(pk=r.pk).email]


def test_an_ended_subscription_is_never_charged_again(recurring):
    r = funded("100")
    sub = buy(r, recurring)
    release_did(account_id=r.pk, did_id=recurring.pk, now=days(10))
    assert run_billing(now=days(100)).renewed == 0
    assert charges(sub) == [(days(0), -D("10"))]


def test_the_command_runs_with_a_clock_and_refuses_a_bad_one(recurring, capsys):
    r = funded("100")
    buy(r, recurring)
    call_command("run_billing", "--now", "2026-01-31T12:00:00Z")
    assert "renewed 1 periods (10.0000 USD)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("run_billing", "--now", "next tuesday")


def test_a_retried_purchase_reports_what_it_charged_even_after_a_renewal_at_a_new_price(recurring):
    admin = make_admin()
    r = funded("100")
    first = purchase_did(buyer_id=r.pk, did_id=recurring.pk, purchase_key="once", now=T0)
    set_sell_cost(did_id=recurring.pk, seller_id=None, buyer_id=None, setup_fee=D("1"), price=D("4"), by=admin)
    run_billing(now=days(30))
    again = purchase_did(buyer_id=r.pk, did_id=recurring.pk, purchase_key="once", now=days(31))
    assert again.repeated and again.charged == first.charged == D("11.0000")
    assert balance(r) == D("100") - 11 - 4


def test_renewals_charged_before_a_release_in_the_same_run_stay_on_the_subscription(db):
    """Found by the state-machine test: catch-up renewals, then funds run out past the
    grace, in one run. The ended subscription's period must be the last one it paid."""
    did = DIDFactory(setup_fee="0", monthly_fee="1", billing_days=1)
    r = funded("3")
    sub = buy(r, did)
    report = run_billing(now=days(30))
    assert report.renewed == 2 and report.released == 1
    sub = refreshed(sub)
    assert sub.status == "ended"
    assert (sub.period_start, sub.period_end) == (days(2), days(3))
    assert charges(sub)[-1] == (days(2), -D("1"))


def test_an_orphaned_due_subscription_is_set_aside_not_claimed_forever(recurring):
    """Cannot happen while releases cascade; if it ever does, the run must still finish."""
    r = funded("100")
    c = funded("100", Account.Kind.CUSTOMER, parent=r)
    top = buy(r, recurring)
    below = buy(c, recurring)
    Subscription.objects.filter(pk=top.pk).update(status="ended")  # a broken cascade
    report = run_billing(now=days(30))
    assert report.renewed == 0
    assert refreshed(below).last_attempt_at == days(30)
