"""Issue 17, part 3: the Purchase page after a refusal, for a DID that has just sold, and its
One Time wording."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import Subscription
from dids.models import DID
from tests.factories import DIDFactory, make_account_user


def _fund(user, amount="100"):
    add_funds(account_id=user.account_id, amount=Decimal(amount))


def _buy(client, did):
    initial = client.get(reverse("resellers:purchase", args=[did.pk])).context["form"].initial
    return client.post(reverse("resellers:purchase", args=[did.pk]), initial)


@pytest.fixture
def did(db):
    return DIDFactory(number="+18555801802", setup_fee="5", monthly_fee="20", billing_days=28)


def test_a_refused_save_shows_the_new_price_with_a_fresh_key_that_buys(client, did):
    user = make_account_user()
    _fund(user)
    client.force_login(user)
    url = reverse("resellers:purchase", args=[did.pk])
    shown = client.get(url).context["form"].initial
    DID.objects.filter(pk=did.pk).update(setup_fee=Decimal("6"), monthly_fee=Decimal("30"))
    refused = client.post(url, shown)
    assert refused.status_code == 409
    assert "changed a moment ago" in refused.context["form"].non_field_errors()[0]
    assert (refused.context["price"].setup_fee, refused.context["price"].price) == (6, 30)
    form = refused.context["form"]
    assert form.data["purchase_key"] != shown["purchase_key"]
    # The sell costs follow the new buy cost up (never left below it, which would be an error).
    assert (form.data["sell_setup_fee"], form.data["sell_price"]) == ("6.0000", "30.0000")
    assert client.post(url, shown).status_code == 409  # the old key stays refused
    assert client.post(url, dict(form.data)).status_code == 302
    assert Account.objects.get(pk=user.account_id).balance.amount == Decimal("64")
    assert Subscription.objects.get(did=did).price.amount == 30


def test_a_refused_save_keeps_a_sell_cost_typed_above_the_new_price(client, did):
    user = make_account_user()
    _fund(user)
    client.force_login(user)
    url = reverse("resellers:purchase", args=[did.pk])
    shown = client.get(url).context["form"].initial
    DID.objects.filter(pk=did.pk).update(monthly_fee=Decimal("25"))
    refused = client.post(url, {**shown, "sell_price": "40.0000"})
    assert refused.context["form"].data["sell_price"] == "40.0000"


def test_a_did_sold_a_moment_ago_says_so_with_a_link_back(client, did):
    first, second = make_account_user(name="First"), make_account_user(name="Second")
    _fund(first), _fund(second)
    client.force_login(second)
    url = reverse("resellers:purchase", args=[did.pk])
    shown = client.get(url).context["form"].initial
    client.force_login(first)
    assert _buy(client, did).status_code == 302
    client.force_login(second)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 404
    assert "DID +1 855-580-1802 was just sold to someone else." in html
    assert reverse("resellers:buy") in html and "No DID matches" not in html
    saved = client.post(url, shown)  # a Save of the page opened before: the same news
    assert saved.status_code == 409 and "was just sold to someone else" in saved.content.decode()
    assert Account.objects.get(pk=second.account_id).balance.amount == 100


def test_a_did_sold_long_ago_or_missing_is_a_plain_404(client, did):
    first, second = make_account_user(name="First"), make_account_user(name="Second")
    _fund(first)
    client.force_login(first)
    _buy(client, did)
    Subscription.objects.filter(did=did).update(started_at=timezone.now() - timedelta(days=2))
    client = Client()  # without First's "purchased" message
    client.force_login(second)
    for pk in (did.pk, did.pk + 1000):
        page = client.get(reverse("resellers:purchase", args=[pk]))
        html = page.content.decode()
        assert page.status_code == 404
        assert "not yours to see" in html and "855" not in html and "No DID matches" not in html


def test_a_customer_sees_its_sellers_did_just_sold_but_not_another_resellers(client, did):
    reseller, other = make_account_user(name="R"), make_account_user(name="O")
    _fund(reseller), _fund(other)
    other_did = DIDFactory()
    client.force_login(reseller)
    _buy(client, did)
    client.force_login(other)
    _buy(client, other_did)
    sibling = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name="Sibling")
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name="Customer")
    _fund(sibling)
    client.force_login(sibling)
    assert _buy(client, did).status_code == 302
    client.force_login(customer)
    assert "was just sold to someone else" in client.get(reverse("resellers:purchase", args=[did.pk])).content.decode()
    page = client.get(reverse("resellers:purchase", args=[other_did.pk]))
    assert page.status_code == 404 and "sold" not in page.content.decode()
    client.force_login(sibling)
    assert "You already hold DID" in client.get(reverse("resellers:purchase", args=[did.pk])).content.decode()


def test_one_time_reads_once_and_monthly_reads_every_period(client, did):
    client.force_login(make_account_user())
    one_time = DIDFactory(setup_fee="5", monthly_fee="20", billing_days=28, billing_type=DID.BillingType.ONE_TIME)
    html = " ".join(client.get(reverse("resellers:purchase", args=[one_time.pk])).content.decode().split())
    assert "20.0000 USD once, for 28 days" in html and "every 28 days" not in html
    html = " ".join(client.get(reverse("resellers:purchase", args=[did.pk])).content.decode().split())
    assert "then 20.0000 USD every 28 days" in html and "once" not in html
