"""Events are written in the transaction of their change (an outbox): exactly one per change,
none for a change rolled back or refused, none at all when no endpoint wants them; each to the
account it is about (a purchase also to its seller)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import record_payment
from billing.prices.book import set_sell_cost
from billing.prices.bulk import bulk_set_prices
from billing.subscriptions.purchase import PurchaseRefused, purchase_did
from billing.subscriptions.purchase_many import purchase_many
from billing.subscriptions.release import admin_release_did, release_did
from billing.subscriptions.renewals import run_billing
from dids.models import DID
from tests.factories import DIDFactory, make_admin
from tests.webhooks.helpers import D, customer_of, funded, hook, key
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db


def events(type_=None):
    rows = Event.objects.order_by("created_at", "pk")
    return list(rows.filter(type=type_) if type_ else rows)


def test_a_purchase_writes_one_event_delivered_to_the_buyer_and_its_seller():
    reseller = funded("500")
    customer = customer_of(reseller)
    did = DIDFactory(setup_fee="1", monthly_fee="4")
    purchase_did(buyer_id=reseller.account.pk, did_id=did.pk, purchase_key=key())
    to_reseller, _ = hook(reseller)
    to_customer, _ = hook(customer)
    purchase_did(buyer_id=customer.account.pk, did_id=did.pk, purchase_key=key())

    [event] = events("did.purchased")
    assert event.account_id == customer.account.pk
    assert event.payload["number"] == did.number and event.payload["seller"] == reseller.account.number
    assert event.payload["charged"] == "5.0000" and event.payload["price"] == "4.0000"
    assert sorted(Delivery.objects.filter(event=event).values_list("endpoint_id", flat=True)) == sorted(
        [to_reseller.pk, to_customer.pk])
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}


def test_a_purchase_from_the_operator_goes_to_the_operators_endpoints():
    admin = make_admin()
    operator, _ = hook(admin, events=["did.purchased"])
    buyer = funded()
    purchase_did(buyer_id=buyer.account.pk, did_id=DIDFactory().pk, purchase_key=key())
    [event] = events()
    assert event.account_id == buyer.account.pk and event.payload["seller"] is None
    assert list(Delivery.objects.values_list("endpoint_id", flat=True)) == [operator.pk]


def test_no_endpoint_no_event_and_an_endpoint_gets_only_its_types():
    buyer = funded()
    purchase_did(buyer_id=buyer.account.pk, did_id=DIDFactory().pk, purchase_key=key())
    assert not Event.objects.exists()
    hook(buyer, events=["did.released"])
    did = DIDFactory()
    purchase_did(buyer_id=buyer.account.pk, did_id=did.pk, purchase_key=key())
    assert not Event.objects.exists()  # not subscribed to did.purchased
    release_did(account_id=buyer.account.pk, did_id=did.pk)
    [event] = events()
    assert event.type == "did.released" and event.payload["number"] == did.number


def test_buy_several_of_three_writes_three_events():
    buyer = funded()
    hook(buyer)
    three = [DIDFactory(setup_fee="1", monthly_fee="10") for _ in range(3)]
    purchase_many(buyer_id=buyer.account.pk, purchase_key=key(),
                  expected={d.pk: (d.setup_fee.amount, d.monthly_fee.amount) for d in three})
    assert sorted(e.payload["number"] for e in events("did.purchased")) == sorted(d.number for d in three)
    assert Event.objects.count() == 3 and Delivery.objects.count() == 3


def test_a_rolled_back_change_writes_no_event_and_no_delivery():
    buyer = funded()
    hook(buyer)
    with pytest.raises(RuntimeError), transaction.atomic():
        purchase_did(buyer_id=buyer.account.pk, did_id=DIDFactory().pk, purchase_key=key())
        assert Event.objects.count() == 1  # written with the purchase...
        raise RuntimeError("the caller's transaction fails after the purchase")
    assert not Event.objects.exists() and not Delivery.objects.exists()  # ...and rolled back with it
    poor = funded("1")
    hook(poor)
    with pytest.raises(PurchaseRefused):
        purchase_did(buyer_id=poor.account.pk, did_id=DIDFactory().pk, purchase_key=key())
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_a_rolled_back_change_queues_nothing(django_capture_on_commit_callbacks):
    buyer = funded()
    hook(buyer)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            purchase_did(buyer_id=buyer.account.pk, did_id=DIDFactory().pk, purchase_key=key())
            raise RuntimeError
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        purchase_did(buyer_id=buyer.account.pk, did_id=DIDFactory().pk, purchase_key=key())
    assert len(callbacks) == 1  # the hand-over to the task queue, after the commit


def test_a_bulk_price_change_writes_one_event_per_holder_in_a_fixed_number_of_statements(
        django_assert_max_num_queries):
    admin = make_admin()
    buyers = [funded("500") for _ in range(4)]
    dids = [DIDFactory(monthly_fee="20") for _ in buyers]
    for buyer, did in zip(buyers, dids):
        purchase_did(buyer_id=buyer.account.pk, did_id=did.pk, purchase_key=key())
    for buyer in buyers[:3]:  # the fourth has no endpoint
        hook(buyer, events=["price.changed"])
    bulk_set_prices(dids=DID.objects.filter(pk__in=[d.pk for d in dids[:2]]), changes={"monthly_fee": D("25")},
                    by=admin)
    first = events("price.changed")
    assert sorted(e.account_id for e in first) == sorted(b.account.pk for b in buyers[:2])
    assert {(e.payload["old_price"], e.payload["new_price"]) for e in first} == {("20.0000", "25.0000")}
    Event.objects.all().delete()

    def change_all():
        bulk_set_prices(dids=DID.objects.filter(pk__in=[d.pk for d in dids]), changes={"monthly_fee": D("30")},
                        by=admin)

    with django_assert_max_num_queries(40) as few:
        change_all()
    assert len(events("price.changed")) == 3  # one per holder with an endpoint
    hook_statements = [q for q in few.captured_queries if "webhooks_" in q["sql"]]
    # The holders with an endpoint, their endpoints, the events, the deliveries: 4 whatever their number.
    assert len(hook_statements) == 4, [q["sql"][:80] for q in hook_statements]


def test_a_price_change_of_one_holder_writes_one_event():
    reseller = funded("500")
    customer = customer_of(reseller)
    did = DIDFactory(setup_fee="0", monthly_fee="4")
    purchase_did(buyer_id=reseller.account.pk, did_id=did.pk, purchase_key=key(), sell_price=D("6"))
    purchase_did(buyer_id=customer.account.pk, did_id=did.pk, purchase_key=key())
    hook(customer, events=["price.changed"])
    set_sell_cost(did_id=did.pk, seller_id=reseller.account.pk, buyer_id=None, setup_fee=D("0"), price=D("7"),
                  by=None)
    [event] = events()
    assert event.account_id == customer.account.pk
    assert (event.payload["old_price"], event.payload["new_price"]) == ("6.0000", "7.0000")
    assert event.payload["seller"] == reseller.account.number


def test_payment_recorded_and_balance_low():
    reseller = funded("500")
    customer = customer_of(reseller, amount="10")
    hook(customer, events=["payment.recorded", "balance.low"])
    record_payment(account_id=customer.account.pk, amount=D("15"), reference="cash 42", by=reseller)
    [paid] = events()
    assert paid.payload["amount"] == "15.0000" and paid.payload["reference"] == "cash 42"
    assert paid.payload["balance"] == "25.0000"
    Account.objects.filter(pk=customer.account.pk).update(low_balance_threshold=D("20"))
    did = DIDFactory(setup_fee="1", monthly_fee="5")
    purchase_did(buyer_id=reseller.account.pk, did_id=did.pk, purchase_key=key())
    purchase_did(buyer_id=customer.account.pk, did_id=did.pk, purchase_key=key())  # 25 - 6: below 20
    [low] = events("balance.low")
    assert low.account_id == customer.account.pk
    assert (low.payload["balance"], low.payload["threshold"], low.payload["currency"]) == ("19.0000", "20.0000", "USD")


def test_the_billing_run_suspends_reinstates_and_releases_with_one_event_each():
    buyer = funded("25")
    hook(buyer, events=["did.suspended", "did.reinstated", "did.released"])
    did = DIDFactory(setup_fee="0", monthly_fee="20", billing_days=30)
    start = timezone.now() - timedelta(days=31)
    purchase_did(buyer_id=buyer.account.pk, did_id=did.pk, purchase_key=key(), now=start)
    run_billing(now=timezone.now())
    [suspended] = events()
    assert suspended.type == "did.suspended" and suspended.payload["amount_due"] == "20.0000"
    run_billing(now=timezone.now() + timedelta(minutes=1))  # still short: no second event
    assert Event.objects.count() == 1
    from billing.ledger.funds import add_funds
    add_funds(account_id=buyer.account.pk, amount=D("50"))
    run_billing(now=timezone.now() + timedelta(minutes=2))
    assert [e.type for e in events()] == ["did.suspended", "did.reinstated"]
    admin_release_did(did_id=did.pk)
    assert [e.type for e in events()] == ["did.suspended", "did.reinstated", "did.released"]


def test_a_repeated_purchase_request_writes_no_second_event():
    buyer = funded()
    hook(buyer)
    did, same = DIDFactory(), key()
    first = purchase_did(buyer_id=buyer.account.pk, did_id=did.pk, purchase_key=same)
    again = purchase_did(buyer_id=buyer.account.pk, did_id=did.pk, purchase_key=same)  # a double submit
    assert again.repeated and again.subscription.pk == first.subscription.pk
    assert Event.objects.count() == 1


def test_the_operator_taking_a_chain_back_writes_one_release_event_per_holder():
    reseller = funded("500")
    customer = customer_of(reseller)
    did = DIDFactory()
    purchase_did(buyer_id=reseller.account.pk, did_id=did.pk, purchase_key=key())
    purchase_did(buyer_id=customer.account.pk, did_id=did.pk, purchase_key=key())
    hook(reseller, events=["did.released"])
    hook(customer, events=["did.released"])
    admin_release_did(did_id=did.pk)
    released = events("did.released")
    assert sorted(e.account_id for e in released) == sorted([reseller.account.pk, customer.account.pk])
    assert all(e.deliveries.count() == 1 for e in released)  # each to its own holder only
