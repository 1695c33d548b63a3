"""Money rules down the tree (issue 16, part 2; billing/subscriptions/sellable.py): a reseller sells
a DID only while its account is active and no link of the DID's chain is in grace. Such a DID is not
on Buy DIDs, a purchase of it is refused with the reason and writes nothing, and it is offered again
once the reseller is reactivated or the unpaid renewal is paid. Suspending a reseller leaves its
customers' own numbers to the billing rules. The races are in test_seller_standing_races.py."""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Account, User
from accounts.services import account_set_status
from audit.models import AuditEntry
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, Subscription
from billing.subscriptions.pool import pool_for
from billing.subscriptions.purchase import PurchaseRefused, purchase_did
from billing.subscriptions.renewals import run_billing
from dids.models import DID, DIDHistory
from routing.lookup import answer_for
from tests.billing.test_purchase_statements import shape
from tests.factories import DIDFactory, make_account_user

D = Decimal
SUSPENDED, IN_GRACE, ABOVE_IN_GRACE = "seller suspended", "seller's holding in grace", "a holding above in grace"
CASES = [SUSPENDED, IN_GRACE, ABOVE_IN_GRACE]
SUSPENDED_NOTICE = "Your seller's account is suspended: its numbers cannot be bought until it is reactivated."


def refusal_of(case: str, did: DID) -> str:
    if case == SUSPENDED:
        return f"DID {did.shown} cannot be bought now: your seller's account is suspended."
    return f"DID {did.shown} cannot be bought now: its seller's subscription is unpaid (in grace)."


def funded_user(amount: str, **kwargs) -> User:
    user = make_account_user(**kwargs)
    add_funds(account_id=user.account_id, amount=D(amount))
    return user


def buy(account: Account, did: DID, now=None, **sell):
    return purchase_did(buyer_id=account.pk, did_id=did.pk, purchase_key=uuid.uuid4().hex, now=now, **sell)


@dataclass
class Sale:
    """A customer about to buy ``did`` from ``seller`` (its parent), which holds it unsold; the DID
    was bought 31 days ago for 30-day periods at 10, so its renewals are due now."""
    case: str
    customer_user: User
    seller: Account
    above: Account | None  # the reseller the seller bought the DID from (None: the operator)
    did: DID
    now: object

    @property
    def customer(self) -> Account:
        return self.customer_user.account

    @property
    def short(self) -> Account:
        """Who cannot pay its renewal (for the grace cases)."""
        return self.above if self.case == ABOVE_IN_GRACE else self.seller

    def stop_selling(self) -> None:
        if self.case == SUSPENDED:
            account_set_status(account_id=self.seller.pk, status=Account.Status.SUSPENDED)
        else:
            report = run_billing(now=self.now)
            assert report.suspended == 1 and Subscription.objects.get(
                account=self.short, did=self.did, status="active").grace_until is not None

    def resume_selling(self) -> None:
        if self.case == SUSPENDED:
            account_set_status(account_id=self.seller.pk, status=Account.Status.ACTIVE)
        else:
            add_funds(account_id=self.short.pk, amount=D("100"))
            report = run_billing(now=self.now + timedelta(hours=1))
            assert report.reinstated == 1


def make_sale(case: str) -> Sale:
    now = timezone.now()
    bought = now - timedelta(days=31)
    did = DIDFactory(setup_fee="0", monthly_fee="10", billing_days=30)
    above = None
    if case == ABOVE_IN_GRACE:
        above = funded_user("10").account  # its first period, nothing for the renewal
        buy(above, did, bought, sell_setup_fee=D("0"), sell_price=D("0"))
        seller = funded_user("100", parent=above).account  # a sub-reseller, paying 0 a period
    else:
        seller = funded_user("10" if case == IN_GRACE else "100").account
    buy(seller, did, bought, sell_setup_fee=D("1"), sell_price=D("12"))
    customer_user = funded_user("100", kind=Account.Kind.CUSTOMER, parent=seller)
    return Sale(case, customer_user, seller, above, did, now)


def books():
    """Everything a purchase writes: ledger, subscriptions, audit trail, DID history, every balance."""
    return (LedgerEntry.objects.count(), Subscription.objects.count(), AuditEntry.objects.count(),
            DIDHistory.objects.count(), sorted(Account.objects.values_list("pk", "balance")))


def offered(client, did: DID) -> bool:
    html = client.get(reverse("resellers:buy")).content.decode()
    return did.shown in html


# --- not offered --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_not_offered_on_buy_dids_until_it_may_be_sold_again(db, client, case):
    sale = make_sale(case)
    client.force_login(sale.customer_user)
    assert pool_for(sale.customer).filter(pk=sale.did.pk).exists() and offered(client, sale.did)

    sale.stop_selling()
    assert not pool_for(sale.customer).filter(pk=sale.did.pk).exists()
    html = client.get(reverse("resellers:buy")).content.decode()
    assert sale.did.shown not in html and sale.did.digits not in html
    if case == SUSPENDED:  # said plainly, not an empty table
        assert SUSPENDED_NOTICE in html and "No Records" not in html
    else:
        assert "No Records" in html and SUSPENDED_NOTICE not in html

    sale.resume_selling()
    assert pool_for(sale.customer).filter(pk=sale.did.pk).exists() and offered(client, sale.did)


def test_only_the_did_whose_chain_is_unpaid_leaves_the_pool(db):
    now = timezone.now()
    seller = funded_user("20").account
    unpaid, paid = (DIDFactory(setup_fee="0", monthly_fee="10", billing_days=30) for _ in range(2))
    buy(seller, unpaid, now - timedelta(days=31))
    buy(seller, paid, now - timedelta(days=1))  # not due: its renewal is a month away
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=seller).account
    run_billing(now=now)
    assert list(pool_for(customer)) == [paid]


def test_a_suspended_account_above_the_seller_does_not_stop_its_sales(db):
    """The rule is about the buyer's own seller; the chain above it counts only for grace."""
    sale = make_sale(ABOVE_IN_GRACE)
    add_funds(account_id=sale.above.pk, amount=D("100"))  # the renewals are paid
    run_billing(now=sale.now)
    account_set_status(account_id=sale.above.pk, status=Account.Status.SUSPENDED)
    assert pool_for(sale.customer).filter(pk=sale.did.pk).exists()
    assert buy(sale.customer, sale.did).charged == D("13.0000")


def test_buying_from_the_operator_is_unchanged(db):
    did = DIDFactory(setup_fee="0", monthly_fee="10")
    reseller = funded_user("100").account
    assert pool_for(reseller).filter(pk=did.pk).exists()
    assert buy(reseller, did).charged == D("10.0000")


# --- refused, nothing written -------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_the_purchase_is_refused_with_the_reason_and_writes_nothing(db, case):
    sale = make_sale(case)
    sale.stop_selling()
    before = books()
    with pytest.raises(PurchaseRefused, match=re.escape(refusal_of(case, sale.did))):
        buy(sale.customer, sale.did)
    assert books() == before

    sale.resume_selling()
    assert buy(sale.customer, sale.did).charged == D("13.0000")


@pytest.mark.parametrize("case", CASES)
def test_the_purchase_page_shows_the_refusal_and_writes_nothing(db, client, case):
    sale = make_sale(case)
    client.force_login(sale.customer_user)
    url = reverse("resellers:purchase", args=[sale.did.pk])
    shown = client.get(url).context["form"].initial  # the page was opened while the DID was for sale
    sale.stop_selling()
    before = books()
    response = client.post(url, {"purchase_key": shown["purchase_key"]})
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [refusal_of(case, sale.did)]
    assert escape(refusal_of(case, sale.did)) in response.content.decode()
    assert books() == before


@pytest.mark.parametrize("case", CASES)
def test_the_purchase_page_of_a_did_no_longer_for_sale_says_why(db, client, case):
    sale = make_sale(case)
    client.force_login(sale.customer_user)
    sale.stop_selling()
    response = client.get(reverse("resellers:purchase", args=[sale.did.pk]), follow=True)
    assert response.redirect_chain == [(reverse("resellers:buy"), 302)]
    assert escape(refusal_of(case, sale.did)) in response.content.decode()
    # Another reseller's DID still answers 404: nothing is said about numbers outside the seller's pool.
    elsewhere = DIDFactory()
    buy(funded_user("100").account, elsewhere)
    assert client.get(reverse("resellers:purchase", args=[elsewhere.pk])).status_code == 404


@pytest.mark.parametrize("case", CASES)
def test_the_refusal_is_read_from_the_rows_the_purchase_locks(db, case):
    """No statement of its own: the seller's status comes with its locked account row, the chain's
    grace with the locked holding (then, refused, the purchase looks for an earlier result of the
    same request, as every refused purchase does)."""
    sale = make_sale(case)
    buy(funded_user("100").account, DIDFactory())  # the purchase's statements are compiled
    sale.stop_selling()

    with CaptureQueriesContext(connection) as captured, pytest.raises(PurchaseRefused):
        buy(sale.customer, sale.did)
    statements = [q["sql"] for q in captured.captured_queries]
    assert [shape(sql) for sql in statements[:4]] == [
        "SAVEPOINT", "LOCK dids_did", "LOCK billing_subscription", "LOCK accounts_account"]
    looked_up, *rest = statements[4:]
    assert '"purchase_key" =' in looked_up and [sql.split()[0] for sql in rest] == ["ROLLBACK", "RELEASE"]


def test_buy_dids_of_a_suspended_seller_keeps_the_query_budget(db, client, django_assert_max_num_queries):
    sale = make_sale(SUSPENDED)
    sale.stop_selling()
    client.force_login(sale.customer_user)
    with django_assert_max_num_queries(8):  # tests/resellers/test_purchase_flow.py's budget of the page
        assert client.get(reverse("resellers:buy")).status_code == 200


# --- the customer's own numbers -----------------------------------------------------------------

def _customer_holding_renewal_due():
    """A reseller and its customer who bought its DID 30 days and an hour ago (30-day periods,
    10 a period, sold on at 12), both with funds for the renewal; the customer's calls go to its
    destination."""
    bought = timezone.now() - timedelta(days=30, hours=1)
    did = DIDFactory(setup_fee="0", monthly_fee="10", billing_days=30)
    reseller = funded_user("100").account
    customer = funded_user("100", kind=Account.Kind.CUSTOMER, parent=reseller).account
    buy(reseller, did, bought, sell_setup_fee=D("0"), sell_price=D("12"))
    mine = buy(customer, did, bought).subscription
    Subscription.objects.filter(pk=mine.pk).update(call_type="sip_uri", destination="sip:carol@pbx.example.com")
    return reseller, customer, did, mine


def test_suspending_a_reseller_leaves_its_customers_numbers_renewing(db):
    reseller, customer, did, mine = _customer_holding_renewal_due()
    account_set_status(account_id=reseller.pk, status=Account.Status.SUSPENDED)
    report = run_billing()

    assert report.renewed == 2 and report.suspended == 0 and report.released == 0
    mine.refresh_from_db()
    assert mine.is_active and not mine.is_suspended
    assert mine.period_start == mine.started_at + timedelta(days=30)
    renewal = LedgerEntry.objects.get(subscription=mine, kind=LedgerEntry.Kind.RENEWAL)
    assert renewal.account_id == customer.pk and renewal.amount.amount == D("-12")
    sale = LedgerEntry.objects.get(subscription=mine, kind=LedgerEntry.Kind.SALE, period_start=mine.period_start)
    assert sale.account_id == reseller.pk and sale.amount.amount == D("12")  # the suspended reseller is paid
    assert Account.objects.get(pk=customer.pk).balance.amount == D("100") - 12 - 12


def test_suspending_a_reseller_leaves_its_customers_numbers_ringing(db):
    reseller, customer, did, mine = _customer_holding_renewal_due()
    account_set_status(account_id=reseller.pk, status=Account.Status.SUSPENDED)
    run_billing()
    answer = answer_for(did.number)
    assert (answer.allow, answer.destination) == (True, "sip:carol@pbx.example.com"), answer.reason


def test_the_billing_rules_still_end_a_customers_number_under_an_unpaid_seller(db):
    """What does end it: the seller's unpaid renewal, released at the end of its grace, with the
    customer's holding below it (and meanwhile the number does not ring)."""
    reseller, customer, did, mine = _customer_holding_renewal_due()
    # The reseller has 102 (100 - 10 + 12): the operator's new price is more than it can pay.
    DID.objects.filter(pk=did.pk).update(monthly_fee=D("500"))
    run_billing(now=mine.period_end + timedelta(minutes=1))
    top = Subscription.objects.get(did=did, account=reseller)
    assert top.is_suspended
    assert answer_for(did.number).reason == "suspended"
    run_billing(now=top.grace_until + timedelta(minutes=1))
    mine.refresh_from_db()
    assert mine.status == Subscription.Status.ENDED
    assert not Subscription.objects.filter(did=did, status="active").exists()
