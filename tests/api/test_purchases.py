"""POST /api/v1/purchases/: all or none at the expected total, once per Idempotency-Key, through
Buy several's service (billing/subscriptions/purchase_many.py); refusals write nothing."""

from decimal import Decimal

import pytest

from accounts.models import Account
from api.models import IdempotencyKey
from audit.context import API
from audit.models import AuditEntry
from billing.ledger.funds import add_funds
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry, Subscription
from billing.prices.book import set_sell_cost
from billing.subscriptions import buy_numbers as buy_numbers_module
from billing.subscriptions.purchase import purchase_did
from core.money import money
from dids.models import DID
from tests.factories import DIDFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/purchases/"
AVAILABLE = "/api/v1/available-dids/"
D = Decimal


def did(number, setup="5", monthly="20", **fields):
    return DIDFactory(number=number, setup_fee=money(D(setup)), monthly_fee=money(D(monthly)), **fields)


def buy(api, numbers, total, key="key-1", **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(URL, {"numbers": numbers, "expected_total": total, **extra}, **headers)


def snapshot():
    """What a purchase writes: subscriptions, ledger entries, audit rows, idempotency records, holders."""
    return (Subscription.objects.count(), LedgerEntry.objects.count(), AuditEntry.objects.count(),
            IdempotencyKey.objects.count(), sorted(DID.objects.filter(holder__isnull=False).values_list("pk", flat=True)),
            sorted(Account.objects.values_list("pk", "balance")))


def test_a_reseller_buys_two_numbers_at_the_quoted_total(people, api_as):
    did("+18555801901", setup="1.5", monthly="2.25")
    did("+18555801902")
    api = api_as("reseller")
    quoted = api.get(AVAILABLE).json()["results"]
    total = sum(D(r["setup_fee"]) + D(r["monthly_fee"]) for r in quoted)
    assert total == D("28.75")

    response = buy(api, ["+18555801902", "+18555801901"], f"{total:.4f}")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == "28.7500" and body["currency"] == "USD"
    assert body["balance"] == "96.7500"  # 125.5 - 28.75
    assert [(n["number"], n["setup_fee"], n["monthly_fee"], n["charged"], n["billing_type"], n["billing_days"])
            for n in body["numbers"]] == [
        ("+18555801902", "5.0000", "20.0000", "25.0000", "recurring", 28),
        ("+18555801901", "1.5000", "2.2500", "3.7500", "recurring", 28)]
    reseller = Account.objects.get(pk=people["reseller"].account_id)
    assert reseller.balance.amount == D("96.75") == ledger_sum(reseller.pk)
    assert set(DID.objects.filter(holder=reseller).values_list("number", flat=True)) == {"+18555801901", "+18555801902"}
    rows = AuditEntry.objects.filter(action="subscription.purchased", account=reseller)
    assert rows.count() == 2 and {r.source for r in rows} == {API}
    assert {r.actor_id for r in rows} == {people["reseller"].pk}
    assert api.get(AVAILABLE).json()["results"] == []


def test_a_customer_buys_from_its_reseller_who_is_credited(people, api_as):
    reseller = people["reseller"]
    d = did("+18555801911")
    purchase_did(buyer_id=reseller.account_id, did_id=d.pk, purchase_key="r-1911", sell_setup_fee=D("1"),
                 sell_price=D("30"))
    add_funds(account_id=people["customer"].account_id, amount=D("40"))
    before = Account.objects.get(pk=reseller.account_id).balance.amount

    response = buy(api_as("customer"), ["+18555801911"], "31.0000")

    assert response.status_code == 201, response.content
    assert response.json()["balance"] == "9.0000"
    assert Account.objects.get(pk=reseller.account_id).balance.amount == before + D("31")
    assert Subscription.objects.get(account_id=people["customer"].account_id, status="active").did_id == d.pk


def test_the_same_key_and_body_answer_the_first_answer_without_charging(people, api_as):
    did("+18555801921")
    api = api_as("reseller")
    first = buy(api, ["+18555801921"], "25.0000")
    assert first.status_code == 201
    written = snapshot()

    again = buy(api, ["+18555801921"], "25.0000")

    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert snapshot() == written  # nothing charged, nothing written


def test_the_same_key_with_another_body_is_422_and_does_nothing(people, api_as):
    did("+18555801931")
    did("+18555801932")
    api = api_as("reseller")
    assert buy(api, ["+18555801931"], "25.0000").status_code == 201
    written = snapshot()

    response = buy(api, ["+18555801932"], "25.0000")

    assert response.status_code == 422
    assert response.json()["code"] == "validation"
    assert "already used with another request" in response.json()["errors"]["Idempotency-Key"][0]
    assert snapshot() == written


def test_keys_are_per_account(people, api_as):
    did("+18555801941")
    did("+18555801942")
    add_funds(account_id=people["other"].account_id, amount=D("100"))
    assert buy(api_as("reseller"), ["+18555801941"], "25.0000", key="shared").status_code == 201

    response = buy(api_as("other"), ["+18555801942"], "25.0000", key="shared")

    assert response.status_code == 201  # another account's key of the same text is another key
    assert DID.objects.get(number="+18555801942").holder_id == people["other"].account_id


@pytest.mark.parametrize("key, message", [
    (None, "This header is required"),
    ("", "This header is required"),
    ("has space", "visible ASCII"),
    ("x" * 256, "visible ASCII"),
])
def test_without_a_good_idempotency_key_it_is_422(people, api_as, key, message):
    did("+18555801951")
    written = snapshot()

    response = buy(api_as("reseller"), ["+18555801951"], "25.0000", key=key)

    assert response.status_code == 422
    assert message in response.json()["errors"]["Idempotency-Key"][0]
    assert snapshot() == written


def test_a_total_other_than_the_price_now_is_refused_with_nothing_written(people, api_as):
    did("+18555801961")
    did("+18555801962")
    written = snapshot()

    response = buy(api_as("reseller"), ["+18555801961", "+18555801962"], "49.9999")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "refused"
    assert body["detail"] == ("The price changed: these 2 DIDs cost 50.0000 USD now, not the 49.9999 expected. "
                              "Nothing was bought: read the prices again.")
    assert body["errors"] == {"expected_total": [body["detail"]]}
    assert snapshot() == written
    # A refusal records no key: the same key goes through once the total is right.
    assert buy(api_as("reseller"), ["+18555801961", "+18555801962"], "50.0000").status_code == 201


def test_a_price_changed_since_the_quote_is_refused(people, api_as):
    reseller, customer = people["reseller"], people["customer"]
    d = did("+18555801971")
    purchase_did(buyer_id=reseller.account_id, did_id=d.pk, purchase_key="r-1971")
    add_funds(account_id=customer.account_id, amount=D("100"))
    api = api_as("customer")
    quoted = api.get(AVAILABLE).json()["results"][0]
    total = D(quoted["setup_fee"]) + D(quoted["monthly_fee"])
    set_sell_cost(did_id=d.pk, seller_id=reseller.account_id, buyer_id=None, setup_fee=D("5"), price=D("21"),
                  by=reseller)
    written = snapshot()

    response = buy(api, ["+18555801971"], f"{total:.4f}")

    assert response.status_code == 422
    assert "this DID costs 26.0000 USD now, not the 25.0000 expected" in response.json()["detail"]
    assert snapshot() == written


def test_a_price_changed_between_the_check_and_the_locks_writes_nothing(people, api_as, monkeypatch):
    """The price moves after buy_numbers read it and before purchase_many locks the DIDs: the
    purchase refuses under its locks (each DID's expected price), and the answer says the total."""
    did("+18555801981")
    did("+18555801982")
    real = buy_numbers_module.purchase_many

    def price_rises_first(**kwargs):
        DID.objects.filter(number="+18555801982").update(monthly_fee=D("20.0001"))  # committed: autocommit
        return real(**kwargs)

    monkeypatch.setattr(buy_numbers_module, "purchase_many", price_rises_first)
    written = snapshot()

    response = buy(api_as("reseller"), ["+18555801981", "+18555801982"], "50.0000")

    assert response.status_code == 422
    assert response.json()["errors"]["expected_total"][0].startswith(
        "The price changed: these 2 DIDs cost 50.0001 USD now, not the 50.0000 expected.")
    assert snapshot()[:5] == written[:5]  # no subscription, entry, audit row, key or holder
    assert Account.objects.get(pk=people["reseller"].account_id).balance.amount == D("125.5")


def test_a_number_sold_a_moment_ago_is_409_naming_it(people, api_as):
    did("+18555801991")
    sold = did("+18555801992")
    api = api_as("reseller")
    quoted = api.get(AVAILABLE).json()["results"]
    assert len(quoted) == 2
    add_funds(account_id=people["other"].account_id, amount=D("100"))
    purchase_did(buyer_id=people["other"].account_id, did_id=sold.pk, purchase_key="o-1992")
    written = snapshot()

    response = buy(api, ["+18555801991", "+18555801992"], "50.0000")

    assert response.status_code == 409
    assert response.json()["code"] == "did-sold"
    assert response.json()["detail"] == "DID +18555801992 was just bought by someone else; nothing was bought."
    assert snapshot() == written


def test_a_number_not_for_sale_to_this_account_is_422(people, api_as):
    d = did("+18555802011")
    add_funds(account_id=people["other"].account_id, amount=D("100"))
    purchase_did(buyer_id=people["other"].account_id, did_id=d.pk, purchase_key="o-2011")
    written = snapshot()

    # Another tenant's number, held for long, answers as one that does not exist: nothing told.
    Subscription.objects.filter(did=d).update(started_at=Subscription.objects.get(did=d).started_at.replace(year=2020))
    for number in ("+18555802011", "+19999999999"):
        response = buy(api_as("reseller"), [number], "25.0000")
        assert response.status_code == 422, response.content
        assert response.json()["errors"] == {"numbers": [f"DID {number} is not for sale to this account."]}
    assert snapshot() == written


def test_short_of_funds_for_the_total_is_refused(people, api_as):
    for i in range(8):
        did(f"+1855580203{i}")  # 8 x 25 = 200 > 125.5 + 50 credit
    written = snapshot()

    response = buy(api_as("reseller"), [f"+1855580203{i}" for i in range(8)], "200.0000")

    assert response.status_code == 422
    assert response.json()["detail"].startswith("Insufficient funds: these 8 DIDs need 200.0000 USD together")
    assert snapshot() == written


@pytest.mark.parametrize("body, field", [
    ({"numbers": ["18555802041"], "expected_total": "25.0000"}, "numbers.0"),
    ({"numbers": ["+18555802041", "+18555802041"], "expected_total": "50.0000"}, "numbers"),
    ({"numbers": [], "expected_total": "0.0000"}, "numbers"),
    ({"numbers": ["+18555802041"], "expected_total": 25.5}, "expected_total"),
    ({"numbers": ["+18555802041"]}, "expected_total"),
    ({"numbers": ["+18555802041"], "expected_total": "25.0000", "price": "0.0000"}, "price"),
    ({"numbers": ["+18555802041"], "expected_total": "25.0000", "account": "3091391244"}, "account"),
])
def test_bad_input_and_unsettable_fields_are_422_next_to_the_field(people, api_as, body, field):
    did("+18555802041")
    written = snapshot()

    response = api_as("reseller").post(URL, body, HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()
    assert snapshot() == written


def test_the_admins_token_is_403(people, api_as):
    did("+18555802051")

    response = buy(api_as("admin"), ["+18555802051"], "25.0000")

    assert response.status_code == 403
    assert "operator does not buy" in response.json()["detail"]
    assert not Subscription.objects.exists()


def test_a_suspended_account_cannot_buy(people, api_as):
    from accounts.services import account_set_status

    did("+18555802061")
    api = api_as("reseller")
    account_set_status(account_id=people["reseller"].account_id, status=Account.Status.SUSPENDED)

    response = buy(api, ["+18555802061"], "25.0000")

    assert response.status_code == 403
    assert response.json()["code"] == "account-suspended"


# --- every role x the two buying routes x a number of each kind ---------------------------------

def test_every_role_on_the_buying_routes(people, api_as):
    """Each role's token on available-dids and purchases, with a number of the operator's pool, one the
    reseller holds (its customer's pool), and one another tenant holds: nobody sees or buys another
    tenant's number, and it answers as a number that does not exist (422 numbers), never 403 or 409."""
    from django.db import transaction

    add_funds(account_id=people["other"].account_id, amount=D("100"))
    add_funds(account_id=people["customer"].account_id, amount=D("100"))
    free = did("+18555802101").number
    resold = did("+18555802102")
    purchase_did(buyer_id=people["reseller"].account_id, did_id=resold.pk, purchase_key="r-2102")
    foreign = did("+18555802103")
    purchase_did(buyer_id=people["other"].account_id, did_id=foreign.pk, purchase_key="o-2103")
    Subscription.objects.filter(did=foreign).update(started_at=Subscription.objects.get(did=foreign).started_at
                                                    .replace(year=2020))
    not_for_sale = "422 DID {} is not for sale to this account."
    expected = {  # role: (what available-dids lists, {number: the purchase's answer})
        "admin": (None, dict.fromkeys((free, resold.number, foreign.number), "403")),
        "reseller": ([free], {free: "201", resold.number: f"422 You already hold DID {resold.number}.",
                              foreign.number: not_for_sale.format(foreign.number)}),
        "customer": ([resold.number], {free: not_for_sale.format(free), resold.number: "201",
                                       foreign.number: not_for_sale.format(foreign.number)}),
        # the reseller's number was bought from the operator a moment ago: the operator's pool's buyers hear so
        "other": ([free], {free: "201", resold.number: "409", foreign.number: f"422 You already hold DID {foreign.number}."}),
    }
    failures = []
    for role, (pool, answers) in expected.items():
        api = api_as(role)
        listed = api.get(AVAILABLE)
        if pool is None:
            ok = listed.status_code == 403
        else:
            ok = listed.status_code == 200 and [r["number"] for r in listed.json()["results"]] == pool
        if not ok:
            failures.append(f"GET available-dids as {role}: {listed.status_code} {listed.content[:200]}")
        for number, want in answers.items():
            with transaction.atomic():
                answer = buy(api, [number], "25.0000", key=f"{role}-{number}")
                transaction.set_rollback(True)
            got = str(answer.status_code)
            if want.startswith("422"):
                got += " " + answer.json()["detail"].removesuffix(" Nothing was bought.")
            if got != want:
                failures.append(f"POST purchases {number} as {role}: {got!r}, expected {want!r}")
    assert not failures, "\n".join(failures)
