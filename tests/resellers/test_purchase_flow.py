"""The seed's reseller panel: DIDs -> Buy DIDs -> Purchase (Edit Info) -> Save, and Delete."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, Subscription
from dids.models import DIDHistory
from dids.models import DID
from tests.factories import DIDFactory, make_account_user


def _fund(user, amount):
    add_funds(account_id=user.account_id, amount=Decimal(amount))


def _open_purchase(client, did):
    response = client.get(reverse("resellers:purchase", args=[did.pk]))
    assert response.status_code == 200
    return response.context["form"].initial


def _buy(client, did, **sell):
    initial = _open_purchase(client, did)
    data = {"purchase_key": initial["purchase_key"], "sell_setup_fee": initial["sell_setup_fee"],
            "sell_price": initial["sell_price"], **sell}
    return client.post(reverse("resellers:purchase", args=[did.pk]), data), data


@pytest.fixture
def seed_did(db):
    return DIDFactory(number="+18555801802", country="HK", city="Ahmedabad", province="Gujarat",
                      setup_fee="5", monthly_fee="20", billing_days=28, billing_type=DID.BillingType.ONE_TIME)


def test_empty_dids_page_says_no_records_and_offers_buy_dids(reseller_client):
    html = reseller_client.get(reverse("resellers:dids")).content.decode()
    assert "No Records" in html and "Buy DIDs" in html and "Delete" in html


def test_buy_dids_lists_the_pool_with_the_price_and_counter(reseller_client, seed_did):
    DIDFactory(status=DID.Status.INACTIVE)
    html = reseller_client.get(reverse("resellers:buy")).content.decode()
    assert "1 - 1 of 1 Records" in html
    assert "+1 855-580-1802" in html and "Purchase" in html and "Purchased DID" in html
    assert "5.0000" in html and "20.0000" in html


def test_edit_info_shows_buy_cost_and_prefilled_sell_cost(reseller_client, seed_did):
    response = reseller_client.get(reverse("resellers:purchase", args=[seed_did.pk]))
    html = response.content.decode()
    for text in ("Edit Info", "DID Information", "BUY COST", "SELL COST", "Buy Cost (USD)", "Setup Fee (USD)",
                 "Price (USD)", "Billing Type", "Billing Days", "Save", "Cancel", "25.0000 USD"):
        assert text in html, text
    assert response.context["form"].initial["sell_setup_fee"] == "5.0000"
    assert response.context["form"].initial["sell_price"] == "20.0000"


def test_purchase_charges_setup_plus_price_once_and_makes_the_holder(reseller_client, reseller_user, seed_did):
    _fund(reseller_user, "100")
    response, data = _buy(reseller_client, seed_did)
    assert response.status_code == 302 and response.url == reverse("resellers:dids")
    account = Account.objects.get(pk=reseller_user.account_id)
    assert account.balance.amount == Decimal("75.0000")
    seed_did.refresh_from_db()
    assert seed_did.holder_id == account.pk
    sub = Subscription.objects.get(did=seed_did)
    assert (sub.setup_fee.amount, sub.price.amount, sub.billing_days) == (5, 20, 28)
    assert sub.billing_type == DID.BillingType.ONE_TIME
    assert (sub.period_end - sub.period_start).days == 28
    kinds = sorted(LedgerEntry.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == ["did_price", "funds_added", "setup_fee"]
    assert DIDHistory.objects.filter(did=seed_did, action="purchased", account=account).count() == 1
    # The same form posted again (double submit, back button, retry) charges nothing more.
    again = reseller_client.post(reverse("resellers:purchase", args=[seed_did.pk]), data)
    assert again.status_code == 302
    assert Account.objects.get(pk=account.pk).balance.amount == Decimal("75.0000")
    assert Subscription.objects.filter(did=seed_did).count() == 1
    page = reseller_client.get(reverse("resellers:dids")).content.decode()
    assert "+1 855-580-1802" in page and "1 - 1 of 1 Records" in page


def test_insufficient_funds_says_needed_and_available_and_changes_nothing(reseller_client, reseller_user, seed_did):
    _fund(reseller_user, "10")
    Account.objects.filter(pk=reseller_user.account_id).update(credit_limit=Decimal("5"))
    response, _ = _buy(reseller_client, seed_did)
    assert response.status_code == 409
    message = response.context["form"].non_field_errors()[0]
    assert "Insufficient funds" in message and "needs 25.0000" in message and "15.0000 available" in message
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == 10
    assert not Subscription.objects.exists()
    seed_did.refresh_from_db()
    assert seed_did.holder is None


def test_credit_limit_counts_towards_available_funds(reseller_client, reseller_user, seed_did):
    _fund(reseller_user, "10")
    Account.objects.filter(pk=reseller_user.account_id).update(credit_limit=Decimal("15"))
    response, _ = _buy(reseller_client, seed_did)
    assert response.status_code == 302
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == Decimal("-15")


def test_did_bought_by_someone_else_a_moment_ago(client, seed_did):
    first, second = make_account_user(name="First"), make_account_user(name="Second")
    _fund(first, "100"), _fund(second, "100")
    client.force_login(second)
    initial = _open_purchase(client, seed_did)  # Second opens the page...
    client.force_login(first)
    assert _buy(client, seed_did)[0].status_code == 302  # ...First buys...
    client.force_login(second)
    response = client.post(reverse("resellers:purchase", args=[seed_did.pk]), {**initial})  # ...Second saves.
    assert response.status_code == 409
    assert "bought by someone else" in response.context["form"].non_field_errors()[0]
    assert Account.objects.get(pk=second.account_id).balance.amount == 100


def test_inactive_did_is_not_offered_and_cannot_be_bought(reseller_client, reseller_user, seed_did):
    _fund(reseller_user, "100")
    initial = _open_purchase(reseller_client, seed_did)
    DID.objects.filter(pk=seed_did.pk).update(status=DID.Status.INACTIVE)
    assert "No Records" in reseller_client.get(reverse("resellers:buy")).content.decode()
    assert reseller_client.get(reverse("resellers:purchase", args=[seed_did.pk])).status_code == 404
    response = reseller_client.post(reverse("resellers:purchase", args=[seed_did.pk]), initial)
    assert "inactive" in response.context["form"].non_field_errors()[0]
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == 100


def test_suspended_account_cannot_buy(reseller_user, seed_did):
    from billing.subscriptions.purchase import PurchaseRefused, purchase_did

    _fund(reseller_user, "100")
    Account.objects.filter(pk=reseller_user.account_id).update(status=Account.Status.SUSPENDED)
    with pytest.raises(PurchaseRefused, match="suspended"):
        purchase_did(buyer_id=reseller_user.account_id, did_id=seed_did.pk, purchase_key="k1")
    assert not Subscription.objects.exists()


def test_posted_prices_balance_or_holder_change_nothing(reseller_client, reseller_user, seed_did):
    _fund(reseller_user, "100")
    other = make_account_user(name="Other")
    response, _ = _buy(reseller_client, seed_did, price="0", setup_fee="0", balance="1000000", holder=other.account_id,
                       account=other.account_id, charge="0", total_now="0")
    assert response.status_code == 302
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == Decimal("75")
    seed_did.refresh_from_db()
    assert seed_did.holder_id == reseller_user.account_id


def test_sell_cost_cannot_be_below_buy_cost_or_bad_input(reseller_client, reseller_user, seed_did):
    _fund(reseller_user, "100")
    for bad, message in (("19.9999", "below your buy cost"), ("-1", "greater than or equal to 0"),
                         ("1e3", "plain digits"), ("20.00001", "4 decimal places")):
        response, _ = _buy(reseller_client, seed_did, sell_price=bad)
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["sell_price"])
        assert f'value="{bad}"' in response.content.decode()
    assert not Subscription.objects.exists()
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == 100


def test_a_forged_or_foreign_purchase_key_is_404(client, seed_did):
    a, b = make_account_user(name="A"), make_account_user(name="B")
    _fund(a, "100"), _fund(b, "100")
    client.force_login(a)
    key_of_a = _open_purchase(client, seed_did)["purchase_key"]
    client.force_login(b)
    data = {"purchase_key": key_of_a, "sell_setup_fee": "5", "sell_price": "20"}
    assert client.post(reverse("resellers:purchase", args=[seed_did.pk]), data).status_code == 404
    data["purchase_key"] = "forged"
    assert client.post(reverse("resellers:purchase", args=[seed_did.pk]), data).status_code == 404
    assert not Subscription.objects.exists()


def test_customer_buys_from_its_resellers_pool_and_the_reseller_is_credited(client, seed_did):
    reseller = make_account_user(name="R")
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name="C")
    _fund(reseller, "100"), _fund(customer, "100")
    client.force_login(customer)
    assert "No Records" in client.get(reverse("resellers:buy")).content.decode()  # R holds nothing yet
    client.force_login(reseller)
    _buy(client, seed_did, sell_setup_fee="6", sell_price="30")
    client.force_login(customer)
    html = client.get(reverse("resellers:buy")).content.decode()
    assert "+1 855-580-1802" in html and "30.0000" in html and "6.0000" in html
    response, _ = _buy(client, seed_did)
    assert response.status_code == 302
    assert Account.objects.get(pk=customer.account_id).balance.amount == Decimal("64")
    assert Account.objects.get(pk=reseller.account_id).balance.amount == Decimal("75") + Decimal("36")
    sale = LedgerEntry.objects.get(account=reseller.account, kind="sale")
    assert sale.amount.amount == Decimal("36")
    # Sold on: R's DIDs page shows it, and R cannot release it before C does.
    client.force_login(reseller)
    assert "C" in client.get(reverse("resellers:dids")).content.decode()
    response = client.post(reverse("resellers:release"), {"did": seed_did.pk, "confirm": "1"}, follow=True)
    assert "sold on to" in response.content.decode()
    assert Subscription.objects.filter(account=reseller.account, status="active").count() == 1


def test_release_asks_first_says_no_refund_and_returns_the_did_to_the_pool(reseller_client, reseller_user, seed_did):
    _fund(reseller_user, "100")
    _buy(reseller_client, seed_did)
    confirm = reseller_client.post(reverse("resellers:release"), {"did": seed_did.pk})
    assert confirm.status_code == 200 and "no refund" in confirm.content.decode().lower()
    assert Subscription.objects.get(did=seed_did).is_active  # the confirmation changed nothing
    done = reseller_client.post(reverse("resellers:release"), {"did": seed_did.pk, "confirm": "1"}, follow=True)
    assert "No refund" in done.content.decode()
    sub = Subscription.objects.get(did=seed_did)
    assert sub.status == "ended" and sub.ended_at is not None
    seed_did.refresh_from_db()
    assert seed_did.holder is None
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == 75
    assert DIDHistory.objects.filter(did=seed_did, action="released").count() == 1
    assert "+1 855-580-1802" in reseller_client.get(reverse("resellers:buy")).content.decode()


def test_release_is_post_only(reseller_client):
    assert reseller_client.get(reverse("resellers:release")).status_code == 405


def test_admin_releases_the_whole_chain(client, admin_user, seed_did):
    from django.test import Client

    admin_client = Client()
    admin_client.force_login(admin_user)
    reseller = make_account_user(name="R")
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name="C")
    _fund(reseller, "100"), _fund(customer, "100")
    client.force_login(reseller)
    _buy(client, seed_did)
    client.force_login(customer)
    _buy(client, seed_did)
    assert Subscription.objects.filter(status="active").count() == 2
    assert admin_client.get(reverse("admin_release", args=[seed_did.pk])).status_code == 200
    assert Subscription.objects.filter(status="active").count() == 2
    admin_client.post(reverse("admin_release", args=[seed_did.pk]))
    assert Subscription.objects.filter(status="active").count() == 0
    seed_did.refresh_from_db()
    assert seed_did.holder is None
    assert DIDHistory.objects.filter(did=seed_did, action="released").count() == 2


def test_my_dids_and_buy_dids_keep_a_fixed_query_count(db, client, django_assert_max_num_queries):
    reseller = make_account_user(name="R")
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account, name="C")
    _fund(reseller, "1000")
    client.force_login(reseller)
    counts = []
    for batch in (2, 20):
        for did in DIDFactory.create_batch(batch, setup_fee="0", monthly_fee="1"):
            _buy(client, did)
        for user, url in ((reseller, "resellers:dids"), (customer, "resellers:buy")):
            client.force_login(user)
            with django_assert_max_num_queries(8) as captured:
                assert client.get(reverse(url)).status_code == 200
            counts.append((url, len(captured.captured_queries)))
        client.force_login(reseller)
    assert counts[0] == counts[2] and counts[1] == counts[3]


def test_a_price_changed_after_the_page_was_shown_is_refused_not_charged(reseller_client, reseller_user, seed_did):
    _fund(reseller_user, "100")
    initial = _open_purchase(reseller_client, seed_did)  # shows 5 + 20
    DID.objects.filter(pk=seed_did.pk).update(monthly_fee=Decimal("30"))
    response = reseller_client.post(reverse("resellers:purchase", args=[seed_did.pk]), initial)
    assert response.status_code == 409
    assert "price of DID +1 855-580-1802 changed" in response.context["form"].non_field_errors()[0]
    assert Account.objects.get(pk=reseller_user.account_id).balance.amount == 100
    assert not Subscription.objects.exists()


def test_an_overlong_purchase_key_is_refused_not_a_server_error(reseller_user, seed_did):
    from billing.subscriptions.purchase import PurchaseRefused, purchase_did

    with pytest.raises(PurchaseRefused, match="expired"):
        purchase_did(buyer_id=reseller_user.account_id, did_id=seed_did.pk, purchase_key="k" * 65)


def test_another_resellers_dids_are_404_to_see_buy_or_release(client, seed_did):
    a, b = make_account_user(name="A"), make_account_user(name="B")
    customer_of_a = make_account_user(kind=Account.Kind.CUSTOMER, parent=a.account, name="CA")
    _fund(a, "100"), _fund(b, "100")
    client.force_login(a)
    _buy(client, seed_did)
    client.force_login(b)
    # B cannot open A's DID for purchase, nor release it, whatever it posts.
    assert client.get(reverse("resellers:purchase", args=[seed_did.pk])).status_code == 404
    assert client.post(reverse("resellers:release"), {"did": seed_did.pk, "confirm": "1"}).status_code == 404
    assert client.post(reverse("resellers:release"), {"did": "x"}).status_code == 404
    assert "+1 855-580-1802" not in client.get(reverse("resellers:dids")).content.decode()
    assert "+1 855-580-1802" not in client.get(reverse("resellers:buy")).content.decode()
    # A's customer sees it in its pool; B's view of the world is unchanged.
    client.force_login(customer_of_a)
    assert "+1 855-580-1802" in client.get(reverse("resellers:buy")).content.decode()
    assert Subscription.objects.get(did=seed_did).account_id == a.account_id
    assert Account.objects.get(pk=b.account_id).balance.amount == 100
