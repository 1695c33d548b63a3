"""Bulk actions on the admin's DID list (issue 6): on checked rows or on the whole
filtered result, each with a confirmation page that counts on the server, set-based
SQL, one history row per changed DID."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from billing.ledger.funds import add_funds
from billing.models import LedgerEntry, PriceOverride, Subscription
from dids.models import DIDHistory
from billing.subscriptions.purchase import PurchaseRefused, PurchaseResult, purchase_did
from billing.subscriptions.release import admin_release_did
from core.money import money
from billing.prices.bulk import bulk_set_prices
from billing.prices.wording import price_change_wording
from dids.bulk import BulkError, bulk_delete_unsold, bulk_set_provider, bulk_set_status
from dids.models import DID
from tests.factories import DIDFactory, ProviderFactory, make_account_user, make_admin
from tests.races import race

D = Decimal
BULK = reverse("dids:bulk")


def post(client, action, *, ids=(), scope="checked", q="", confirm=False, **fields):
    data = {"action": action, "scope": scope, "q": q, "ids": [str(i) for i in ids], **fields}
    if confirm:
        data["confirm"] = "1"
    return client.post(BULK, data)


def history(did, **filters):
    return list(DIDHistory.objects.filter(did=did, **filters))


def bought(did, buyer):
    """``buyer`` buys ``did`` from the operator (a real purchase: subscription, ledger, history)."""
    add_funds(account_id=buyer.pk, amount=D(100))
    purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key=f"test-{did.pk}-{buyer.pk}")
    did.refresh_from_db()
    return did


# --- the services ---------------------------------------------------------------


def test_status_changes_only_rows_not_at_the_value_and_records_each(admin_user):
    a, b = DIDFactory.create_batch(2)
    c = DIDFactory(status=DID.Status.INACTIVE)
    result = bulk_set_status(dids=DID.objects.all(), status=DID.Status.INACTIVE, by=admin_user)
    assert (result.targeted, result.changed, result.skipped) == (3, 2, {"already Inactive": 1})
    assert set(DID.objects.values_list("status", flat=True)) == {"inactive"}
    for did in (a, b):
        (row,) = history(did)
        assert row.action == DIDHistory.Action.CHANGED
        assert row.description == "Bulk change: status Active → Inactive"
        assert row.actor == admin_user
    assert history(c) == []


def test_provider_change_is_recorded_with_both_names(admin_user, default_provider):
    acme = ProviderFactory(name="Acme")
    a = DIDFactory()
    b = DIDFactory(provider=acme)
    result = bulk_set_provider(dids=DID.objects.all(), provider=acme, by=admin_user)
    assert (result.changed, result.skipped) == (1, {"already with Acme": 1})
    assert set(DID.objects.values_list("provider", flat=True)) == {acme.pk}
    assert [h.description for h in history(a)] == ["Bulk change: provider default provider → Acme"]
    assert history(b) == []


def test_price_change_keeps_blank_fields_and_records_old_and_new(admin_user):
    a = DIDFactory(setup_fee=money(1), monthly_fee=money(20), increment=60, grace_time=5)
    b = DIDFactory(setup_fee=money(2), monthly_fee=money(20), increment=60)
    result = bulk_set_prices(dids=DID.objects.all(), changes={"setup_fee": D("2"), "monthly_fee": None,
                                                               "increment": 6}, by=admin_user)
    assert (result.targeted, result.changed) == (2, 2)
    a.refresh_from_db()
    assert (a.setup_fee.amount, a.monthly_fee.amount, a.increment, a.grace_time) == (D("2"), D("20"), 6, 5)
    (row,) = history(a)
    assert row.action == DIDHistory.Action.PRICE_CHANGED
    # The one wording of a price change (billing/prices/wording.py), then the other fields.
    assert row.description == ("Sell cost of the operator for all its buyers (bulk change): "
                               "setup 1.0000 → 2.0000, price 20.0000 → 20.0000, Increment 60 → 6")
    assert (row.old_setup_fee, row.setup_fee, row.old_price, row.price) == (money(1), money(2), money(20), money(20))
    assert row.actor == admin_user
    # b's Setup Fee was already 2: only its Increment changed, which is not a price of the operator's.
    (row,) = history(b)
    assert row.action == DIDHistory.Action.CHANGED
    assert row.description == "Bulk change: Increment 60 → 6"
    assert row.old_setup_fee is None and row.price is None


def test_a_bulk_price_change_is_worded_as_every_price_change(admin_user):
    """The SQL wording of a bulk change and the Python wording of one change are the same words."""
    did = DIDFactory(setup_fee=money("1.5"), monthly_fee=money(20))
    bulk_set_prices(dids=DID.objects.all(), changes={"monthly_fee": D("22.25")}, by=admin_user)
    (row,) = history(did)
    old = SimpleNamespace(setup_fee=D("1.5"), price=D(20))
    assert row.description == price_change_wording(None, None, old, D("1.5"), D("22.25"), via="bulk change")


def test_bulk_prices_below_the_providers_cost_are_saved_with_a_warning(admin_user):
    """The one below-cost rule: the operator may sell below its provider's Buy Cost, told how many do."""
    cheap, dear = DIDFactory(buy_cost=money(5)), DIDFactory(buy_cost=money(50))
    result = bulk_set_prices(dids=DID.objects.all(), changes={"monthly_fee": D(10)}, by=admin_user)
    assert result.changed == 2
    assert result.warning == ("1 of these DIDs now sells below the provider's Buy Cost per period. "
                              "Saved: the operator may sell below cost.")
    dear.refresh_from_db()
    assert dear.monthly_fee.amount == D(10)
    assert bulk_set_prices(dids=DID.objects.filter(pk=cheap.pk), changes={"monthly_fee": D(11)}).warning == ""


def test_price_change_skips_rows_already_at_the_values(admin_user):
    DIDFactory(setup_fee=money(3), connection_cost=money("0.05"))
    result = bulk_set_prices(dids=DID.objects.all(), changes={"setup_fee": D(3), "connection_cost": D("0.05")})
    assert (result.changed, result.skipped) == (0, {"already at these values": 1})
    assert DIDHistory.objects.count() == 0


@pytest.mark.parametrize("changes, field", [
    ({"setup_fee": D("-1")}, "setup_fee"),
    ({"monthly_fee": D("1.00001")}, "monthly_fee"),
    ({"increment": 0}, "increment"),
    ({"grace_time": -1}, "grace_time"),
    ({"cost_per_min": 1.5}, "cost_per_min"),
    ({}, None),
    ({"buy_cost": D(1)}, None),
])
def test_price_change_refuses_what_the_create_product_form_refuses(db, changes, field):
    DIDFactory()
    with pytest.raises(BulkError) as refused:
        bulk_set_prices(dids=DID.objects.all(), changes=changes)
    assert refused.value.field == field
    assert DIDHistory.objects.count() == 0


def test_deactivating_a_held_did_keeps_its_holder(admin_user, reseller_user):
    did = bought(DIDFactory(), reseller_user.account)
    bulk_set_status(dids=DID.objects.all(), status=DID.Status.INACTIVE, by=admin_user)
    did.refresh_from_db()
    assert did.status == "inactive" and did.holder == reseller_user.account
    assert Subscription.objects.get(did=did).is_active


def test_delete_unsold_skips_held_and_previously_sold_dids(admin_user, reseller_user):
    free = DIDFactory()
    free_history = DIDHistory.objects.create(did=free, action=DIDHistory.Action.CHANGED, description="x")
    PriceOverride.objects.create(did=free, buyer=reseller_user.account, setup_fee=money(0), price=money(1))
    held = bought(DIDFactory(), reseller_user.account)
    sold_before = bought(DIDFactory(), reseller_user.account)
    admin_release_did(did_id=sold_before.pk, by=admin_user)
    sold_before.refresh_from_db()
    assert sold_before.holder is None

    result = bulk_delete_unsold(dids=DID.objects.all(), by=admin_user)
    assert (result.targeted, result.changed) == (3, 1)
    assert result.skipped == {"held by an account": 1, "sold before (set those to Inactive instead)": 1}
    assert set(DID.objects.values_list("pk", flat=True)) == {held.pk, sold_before.pk}
    assert not DIDHistory.objects.filter(pk=free_history.pk).exists()  # cascaded (docs/decisions.md)
    assert not PriceOverride.objects.exists()
    assert LedgerEntry.objects.filter(did=sold_before).exists()


# --- the pages ------------------------------------------------------------------


def test_list_has_a_checkbox_per_row_and_the_action_bar(admin_client):
    dids = DIDFactory.create_batch(3)
    html = admin_client.get(reverse("dids:list")).content.decode()
    for did in dids:
        assert f'name="ids" value="{did.pk}"' in html
    assert 'id="bulk-select-page"' in html
    assert f'action="{BULK}"' in html
    for label in ("Activate", "Deactivate", "Change provider", "Change prices", "Delete unsold"):
        assert label in html


def test_confirmation_page_counts_checked_rows_on_the_server(admin_client):
    a, b, _ = DIDFactory.create_batch(3)
    response = post(admin_client, "deactivate", ids=[a.pk, b.pk])
    assert response.status_code == 200
    assert "This will change 2 DIDs" in response.content.decode()
    assert DIDHistory.objects.count() == 0 and not DID.objects.filter(status="inactive").exists()


def test_confirmation_page_counts_the_whole_filtered_result(admin_client):
    DIDFactory.create_batch(4, city="Boston")
    DIDFactory.create_batch(2, city="Austin")
    response = post(admin_client, "delete", scope="all", q="city=Boston&sort=-number&page=2")
    html = response.content.decode()
    assert "This will delete 4 DIDs" in html
    assert DID.objects.count() == 6


def test_deactivate_checked_rows(admin_client, admin_user):
    a, b, c = DIDFactory.create_batch(3)
    response = post(admin_client, "deactivate", ids=[a.pk, b.pk], q="sort=-number", confirm=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("dids:list") + "?sort=-number"
    assert set(DID.objects.filter(status="inactive").values_list("pk", flat=True)) == {a.pk, b.pk}
    assert {h.did_id for h in DIDHistory.objects.filter(actor=admin_user)} == {a.pk, b.pk}
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Changed 2 DIDs."]


def test_activate_the_whole_filtered_result(admin_client):
    boston = DIDFactory.create_batch(3, city="Boston", status=DID.Status.INACTIVE)
    DIDFactory(city="Boston")  # already active: skipped, not recorded
    other = DIDFactory(city="Austin", status=DID.Status.INACTIVE)
    response = post(admin_client, "activate", scope="all", q="city=Boston", confirm=True)
    assert response["Location"] == reverse("dids:list") + "?city=Boston"
    assert [str(m) for m in response.wsgi_request._messages] == ["Changed 3 DIDs. Skipped 1 already Active."]
    assert set(DIDHistory.objects.values_list("did", flat=True)) == {d.pk for d in boston}
    other.refresh_from_db()
    assert other.status == "inactive"


def test_change_provider_checked_and_whole_result(admin_client, default_provider):
    acme = ProviderFactory(name="Acme")
    a, b = DIDFactory.create_batch(2, country="US")
    hk = DIDFactory(country="HK")
    response = post(admin_client, "provider", ids=[a.pk])
    assert "Acme" in response.content.decode()  # the provider select on the confirmation page
    post(admin_client, "provider", ids=[a.pk], provider=acme.pk, confirm=True)
    assert list(DID.objects.filter(provider=acme).values_list("pk", flat=True)) == [a.pk]
    post(admin_client, "provider", scope="all", q="country=US", provider=acme.pk, confirm=True)
    assert set(DID.objects.filter(provider=acme).values_list("pk", flat=True)) == {a.pk, b.pk}
    hk.refresh_from_db()
    assert hk.provider == default_provider
    assert DIDHistory.objects.filter(did=a).count() == 1  # the second run found it already at Acme


def test_change_prices_checked_and_whole_result(admin_client):
    a, b = DIDFactory.create_batch(2, city="Boston")
    c = DIDFactory(city="Austin")
    post(admin_client, "prices", ids=[a.pk], setup_fee="1.5", monthly_fee="", confirm=True)
    a.refresh_from_db()
    assert (a.setup_fee.amount, a.monthly_fee.amount) == (D("1.5"), D("20"))
    post(admin_client, "prices", scope="all", q="city=Boston", monthly_fee="9.9900", cost_per_min="0.6",
         initial_increment="30", confirm=True)
    for did in (a, b):
        did.refresh_from_db()
        assert (did.monthly_fee.amount, did.cost_per_min.amount, did.initial_increment) == (D("9.99"), D("0.6"), 30)
    c.refresh_from_db()
    assert c.monthly_fee.amount == D("20")
    assert DIDHistory.objects.filter(did=a, action=DIDHistory.Action.PRICE_CHANGED).count() == 2


def test_change_prices_below_the_providers_cost_warns_on_the_page(admin_client):
    did = DIDFactory(buy_cost=money(5), monthly_fee=money(20))
    response = post(admin_client, "prices", ids=[did.pk], monthly_fee="4", confirm=True)
    assert [str(m) for m in response.wsgi_request._messages] == [
        "Changed 1 DID.", "1 of these DIDs now sells below the provider's Buy Cost per period. "
        "Saved: the operator may sell below cost."]
    did.refresh_from_db()
    assert did.monthly_fee.amount == D(4)


def test_delete_checked_and_whole_result(admin_client, reseller_user):
    a, b = DIDFactory.create_batch(2, city="Boston")
    held = bought(DIDFactory(city="Boston"), reseller_user.account)
    c = DIDFactory(city="Austin")
    response = post(admin_client, "delete", ids=[a.pk], confirm=True)
    assert [str(m) for m in response.wsgi_request._messages] == ["Deleted 1 DID."]
    response = post(admin_client, "delete", scope="all", q="city=Boston")
    assert "This will delete 1 DID" in response.content.decode()
    assert "1 held by an account" in response.content.decode()
    response = post(admin_client, "delete", scope="all", q="city=Boston", confirm=True)
    assert [str(m) for m in response.wsgi_request._messages] == ["Deleted 1 DID. Skipped 1 held by an account."]
    assert set(DID.objects.values_list("pk", flat=True)) == {held.pk, c.pk}
    assert not DID.objects.filter(pk__in=[a.pk, b.pk]).exists()


@pytest.mark.parametrize("fields, error_field, message", [
    ({"setup_fee": "-1"}, "setup_fee", "greater than or equal to 0"),
    ({"monthly_fee": "1e3"}, "monthly_fee", "plain digits"),
    ({"increment": "0"}, "increment", "greater than or equal to 1"),
    ({"setup_fee": "", "monthly_fee": ""}, None, "Fill in at least one field"),
])
def test_bad_prices_show_the_message_beside_the_field_and_write_nothing(admin_client, fields, error_field, message):
    did = DIDFactory()
    response = post(admin_client, "prices", ids=[did.pk], confirm=True, city="x", **fields)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    if error_field:
        assert f'id="error_{error_field}"' in html
        assert response.context["form"][error_field].value() == fields[error_field]  # kept as typed
    assert DIDHistory.objects.count() == 0
    did.refresh_from_db()
    assert did.setup_fee.amount == D(5) and did.increment == 60


def test_unknown_or_inactive_provider_is_refused_beside_the_field(admin_client, default_provider):
    did = DIDFactory()
    retired = ProviderFactory(name="Retired", is_active=False)
    for value in ("999999", str(retired.pk), "abc"):
        response = post(admin_client, "provider", ids=[did.pk], provider=value, confirm=True)
        assert response.status_code == 200
        assert 'id="error_provider"' in response.content.decode()
    did.refresh_from_db()
    assert did.provider == default_provider and DIDHistory.objects.count() == 0


def test_no_rows_checked_goes_back_with_a_message(admin_client):
    DIDFactory()
    response = post(admin_client, "deactivate", ids=[], q="city=Boston", confirm=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("dids:list") + "?city=Boston"
    assert [str(m) for m in response.wsgi_request._messages] == [
        "Check at least one DID, or choose all DIDs matching the search."]
    assert not DID.objects.filter(status="inactive").exists()


def test_unknown_action_or_scope_changes_nothing(admin_client):
    did = DIDFactory()
    for data in ({"action": "drop", "scope": "checked"}, {"action": "deactivate", "scope": "everything"}):
        response = admin_client.post(BULK, {**data, "ids": [did.pk], "confirm": "1"})
        assert response.status_code == 302
    did.refresh_from_db()
    assert did.status == "active"


def test_an_invalid_search_is_never_taken_as_all_dids(admin_client):
    DIDFactory.create_batch(2)
    response = post(admin_client, "deactivate", scope="all", q="number=12", confirm=True)  # contains: 3 digits at least
    assert response.status_code == 302
    assert "Fix the search" in [str(m) for m in response.wsgi_request._messages][0]
    assert not DID.objects.filter(status="inactive").exists()


def test_posted_ids_outside_the_search_are_ignored(admin_client):
    inside = DIDFactory(city="Boston")
    outside = DIDFactory(city="Austin")
    response = post(admin_client, "deactivate", ids=[inside.pk, outside.pk, 10**9, "x", "-3"], q="city=Boston")
    assert "This will change 1 DID" in response.content.decode()
    post(admin_client, "deactivate", ids=[inside.pk, outside.pk], q="city=Boston", confirm=True)
    assert list(DID.objects.filter(status="inactive").values_list("pk", flat=True)) == [inside.pk]


def test_get_writes_nothing(admin_client):
    did = DIDFactory()
    response = admin_client.get(BULK, {"action": "delete", "scope": "all", "ids": [did.pk], "confirm": "1"})
    assert response.status_code == 405
    assert DID.objects.filter(pk=did.pk).exists()


def test_resellers_get_403_and_anonymous_users_the_login_page(client, reseller_user):
    did = DIDFactory()
    response = post(client, "delete", ids=[did.pk], confirm=True)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(reseller_user)
    assert post(client, "delete", ids=[did.pk], confirm=True).status_code == 403
    assert DID.objects.filter(pk=did.pk).exists()


@pytest.mark.parametrize("action, fields", [
    ("deactivate", {}),
    ("provider", {"provider": "acme"}),
    ("prices", {"setup_fee": "7", "increment": "6"}),
    ("delete", {}),
])
def test_query_count_does_not_grow_with_the_number_of_dids(admin_client, django_assert_max_num_queries,
                                                           action, fields, reseller_user):
    acme = ProviderFactory(name="Acme")
    if fields.get("provider"):
        fields = {**fields, "provider": acme.pk}

    def run(n):
        DID.objects.all().delete() if action != "delete" else None
        DIDFactory.create_batch(n, city="Boston")
        bought(DIDFactory(city="Boston"), reseller_user.account) if action == "delete" and n == 3 else None
        with django_assert_max_num_queries(30) as counted:
            post(admin_client, action, scope="all", q="city=Boston", confirm=True, **fields)
        with django_assert_max_num_queries(30) as confirm_page:
            post(admin_client, action, scope="all", q="city=Boston")
        return len(counted.captured_queries), len(confirm_page.captured_queries)

    small = run(3)
    large = run(300)
    assert small == large
    if action == "delete":
        assert DID.objects.filter(city="Boston").count() == 1  # the held one
    else:
        assert DIDHistory.objects.filter(action__in=["changed", "price_changed"]).count() == 300


# --- PostgreSQL: a bulk delete racing a purchase ----------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the threads must see committed rows
def test_a_bulk_delete_racing_a_purchase_never_deletes_a_sold_did():
    admin = make_admin()
    buyer = make_account_user().account
    add_funds(account_id=buyer.pk, amount=D(1000))
    for round_ in range(5):
        dids = DIDFactory.create_batch(20, city=f"Race {round_}")
        target = dids[round_ * 3]
        outcomes = race([
            lambda: purchase_did(buyer_id=buyer.pk, did_id=target.pk, purchase_key=f"race-{target.pk}"),
            lambda: bulk_delete_unsold(dids=DID.objects.filter(city=f"Race {round_}"), by=admin),
        ])
        purchase, deletion = outcomes
        assert isinstance(purchase, (PurchaseResult, PurchaseRefused)), purchase
        assert not isinstance(deletion, BaseException), deletion
        if isinstance(purchase, PurchaseResult):
            # Sold: the DID, its subscription and its ledger entries are all still there.
            assert DID.objects.filter(pk=target.pk, holder=buyer).exists()
            assert deletion.changed == 19 and deletion.skipped["held by an account"] == 1
        else:
            assert not DID.objects.filter(pk=target.pk).exists() and deletion.changed == 20
            assert not Subscription.objects.filter(did_id=target.pk).exists()
        assert DID.objects.filter(city=f"Race {round_}").count() == 20 - deletion.changed
