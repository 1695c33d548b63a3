"""/api/v1/admin/: the admin's DID catalogue (Create/Edit Product), every account, and funds, from
an admin's token: Create Product's and the account forms' checks and messages, the pages'
services (their audit rows, source API; a price change in the DID's history), no field a page
does not have. A reseller's and a customer's tokens get 403 everywhere here."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account, User
from audit.models import AuditEntry
from billing.forms import AddFundsForm, AdjustmentForm
from billing.models import LedgerEntry
from dids.models import DID, DIDHistory
from tests.factories import DIDFactory

pytestmark = pytest.mark.django_db

SEED = {  # the seed's Create Product example (tests/dids/test_did_form.py), as a JSON body
    "category": "DID", "number": "18555801802", "country": "HK", "buy_cost": "5", "city": "Ahmedabad",
    "province": "Gujarat", "status": "active", "connection_cost": "5", "grace_time": 6, "cost_per_min": "1",
    "initial_increment": 6, "increment": 6, "setup_fee": "5", "monthly_fee": "20", "call_timeout": 30,
    "billing_type": "one_time", "billing_days": 28, "concurrent_calls": 25,
}
PASSWORD = "correct-horse-battery-9"


def dids_url(number=None):
    return reverse("api:admin_dids") if number is None else reverse("api:admin_did", args=[number])


def accounts_url(number=None, *, funds=False):
    if number is None:
        return reverse("api:admin_accounts")
    return reverse("api:admin_account_funds" if funds else "api:admin_account", args=[number])


def audit_sources(action, **where):
    return list(AuditEntry.objects.filter(action=action, **where).values_list("source", "actor_name"))


# --- roles -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["reseller", "customer", "other"])
def test_only_an_admins_token_gets_in(people, api_as, default_provider, role):
    did = DIDFactory()
    number = people["customer"].account.number
    api = api_as(role)
    before = (list(Account.objects.order_by("pk").values()), list(DID.objects.order_by("pk").values()))
    answers = [
        api.get(dids_url()), api.post(dids_url(), SEED), api.get(dids_url(did.number)),
        api.patch(dids_url(did.number), {"monthly_fee": "0"}),
        api.get(accounts_url()), api.post(accounts_url(), {"name": "x"}), api.get(accounts_url(number)),
        api.patch(accounts_url(number), {"credit_limit": "99999"}),
        api.post(accounts_url(number, funds=True), {"amount": "1000"}, HTTP_IDEMPOTENCY_KEY="k"),
        # Missing objects too: 403 before any lookup, no hint whether they exist.
        api.get(dids_url("+19999999999")), api.get(accounts_url("0000000000")),
    ]
    for answer in answers:
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden", answer.content
    assert (list(Account.objects.order_by("pk").values()), list(DID.objects.order_by("pk").values())) == before
    assert not LedgerEntry.objects.filter(kind="funds_added", amount=Decimal("1000")).exists()


# --- DIDs: Create Product --------------------------------------------------------------------------

def test_create_product_as_the_seed(people, api_as, default_provider):
    answer = api_as("admin").post(dids_url(), SEED)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert answer["Location"] == dids_url("+18555801802")
    assert body["number"] == "+18555801802" and body["provider"] == default_provider.name
    assert {k: body[k] for k in ("buy_cost", "setup_fee", "monthly_fee", "cost_per_min", "connection_cost")} == {
        "buy_cost": "5.0000", "setup_fee": "5.0000", "monthly_fee": "20.0000", "cost_per_min": "1.0000",
        "connection_cost": "5.0000"}
    assert body["country"] == "HK" and body["billing_type"] == "one_time" and body["holder"] is None
    # The page's warning: Hong Kong does not use +1 (saved as entered).
    assert len(body["warnings"]) == 1 and "Hong Kong does not use calling code +1" in body["warnings"][0]
    did = DID.objects.get(number="+18555801802")
    assert (did.grace_time, did.billing_days, did.concurrent_calls) == (6, 28, 25)
    assert audit_sources("did.created", did=did) == [("api", "api-admin")]


def test_create_product_takes_only_the_starred_fields(api_as, default_provider):
    answer = api_as("admin").post(dids_url(), {"number": "+1 855-580-1803", "monthly_fee": "3", "billing_days": 30})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["number"] == "+18555801803" and body["status"] == "active" and body["increment"] == 60
    assert body["provider"] == default_provider.name and body["warnings"] == []


def test_a_monthly_fee_below_the_buy_cost_is_saved_with_the_pages_warning(api_as, default_provider):
    body = api_as("admin").post(dids_url(), {**SEED, "country": "US", "buy_cost": "30"}).json()
    assert body["warnings"] == [
        "Below cost: the provider charges 30.0000 per period for this DID. Saved: the operator may sell below cost."]


def _page_errors(admin_client, data) -> dict:
    response = admin_client.post(reverse("dids:create"), data)
    assert response.status_code == 200
    return {name: list(messages) for name, messages in response.context["form"].errors.items()}


@pytest.mark.parametrize("field, value", [
    ("number", "18555801802x"), ("number", "1234"), ("number", ""), ("monthly_fee", "-1"), ("monthly_fee", "1.23456"),
    ("buy_cost", "abc"), ("increment", 0), ("billing_days", "2.5"), ("call_timeout", 601), ("status", "sold"),
    ("billing_type", "weekly"), ("country", "XX"), ("provider", "No Such Carrier"),
])
def test_create_product_gives_the_pages_messages(people, api_as, admin_client, default_provider, field, value):
    answer = api_as("admin").post(dids_url(), {**SEED, field: value})
    assert answer.status_code == 422, answer.content
    form_value = "No Such Carrier" if field == "provider" else str(value)
    page = _page_errors(admin_client, {**SEED, "provider": str(default_provider.pk), field: form_value})
    assert answer.json()["errors"][field] == page[field]
    assert not DID.objects.exists()


def test_a_duplicate_number_is_the_pages_message(api_as, default_provider):
    DIDFactory(number="+18555801802")
    answer = api_as("admin").post(dids_url(), {**SEED, "number": "+1 (855) 580-1802"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"number": ["DID +1 855-580-1802 already exists."]}


@pytest.mark.parametrize("field", ["holder", "id", "created_at", "import_batch", "price"])
def test_create_product_refuses_a_field_the_form_does_not_have(people, api_as, default_provider, field):
    value = people["reseller"].account.number if field == "holder" else "1"
    answer = api_as("admin").post(dids_url(), {**SEED, field: value})
    assert answer.status_code == 422 and answer.json()["errors"] == {field: ["This field cannot be set."]}
    assert not DID.objects.exists()


# --- DIDs: one, Edit Product, the list -------------------------------------------------------------

def test_one_product_by_its_number_with_or_without_plus(people, api_as, default_provider):
    did = DIDFactory(number="+18555801802", holder=people["reseller"].account)
    for path in (dids_url("+18555801802"), dids_url("18555801802"), "/api/v1/admin/dids/%2B18555801802/"):
        body = api_as("admin").get(path).json()
        assert body["number"] == "+18555801802" and body["holder"] == people["reseller"].account.number
    for missing in ("+18555801803", "abc", "+", "1" * 20):
        assert api_as("admin").get(dids_url(missing)).status_code == 404
    assert did.pk


def test_edit_product_changes_what_is_sent_and_records_the_price(api_as, default_provider):
    did = DIDFactory(number="+18555801802", city="Ahmedabad")
    answer = api_as("admin").patch(dids_url(did.number), {"monthly_fee": "25.5", "status": "inactive"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["monthly_fee"] == "25.5000" and body["status"] == "inactive" and body["city"] == "Ahmedabad"
    did.refresh_from_db()
    assert did.monthly_fee.amount == Decimal("25.5") and did.status == "inactive" and did.billing_days == 28
    history = DIDHistory.objects.get(did=did, action=DIDHistory.Action.PRICE_CHANGED)
    assert (history.old_price.amount, history.price.amount) == (Decimal("20"), Decimal("25.5"))
    assert audit_sources("did.updated", did=did) == [("api", "api-admin")]


@pytest.mark.parametrize("field, value", [("number", "+18555809999"), ("holder", "1234567890"), ("id", 5)])
def test_edit_product_refuses_the_number_and_the_holder(api_as, default_provider, field, value):
    did = DIDFactory(number="+18555801802")
    before = list(DID.objects.values())
    answer = api_as("admin").patch(dids_url(did.number), {"city": "Elsewhere", field: value})
    assert answer.status_code == 422 and answer.json()["errors"] == {field: ["This field cannot be set."]}
    assert list(DID.objects.values()) == before


def test_edit_product_gives_the_forms_messages(api_as, default_provider):
    did = DIDFactory(number="+18555801802")
    answer = api_as("admin").patch(dids_url(did.number), {"billing_days": 0, "monthly_fee": ""})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"billing_days": ["Ensure this value is greater than or equal to 1."],
                                       "monthly_fee": ["This field is required."]}


def test_the_catalogue_list_filters_and_pages(people, api_as, default_provider, django_assert_max_num_queries):
    for n in range(4):
        DIDFactory(number=f"+1855580180{n}", status="active" if n % 2 else "inactive")
    DIDFactory(number="+442079460958", country="GB", holder=people["reseller"].account)
    api = api_as("admin")
    api.get(dids_url())
    with django_assert_max_num_queries(3):  # token; throttle; the page (provider and holder joined)
        body = api.get(dids_url(), {"limit": 2}).json()
    assert [r["number"] for r in body["results"]] == ["+18555801800", "+18555801801"] and body["next"]
    assert [r["number"] for r in api.get(dids_url(), {"country": "GB"}).json()["results"]] == ["+442079460958"]
    assert [r["number"] for r in api.get(dids_url(), {"status": "inactive"}).json()["results"]] == [
        "+18555801800", "+18555801802"]
    held = api.get(dids_url(), {"holder": people["reseller"].account.number}).json()["results"]
    assert [r["holder"] for r in held] == [people["reseller"].account.number]
    bad = api.get(dids_url(), {"number": "55"})
    assert bad.status_code == 422 and "number" in bad.json()["errors"]


# --- accounts ------------------------------------------------------------------------------------

def test_every_account_with_the_panels_filters(people, api_as):
    api = api_as("admin")
    everyone = sorted(Account.objects.values_list("number", flat=True))
    assert [r["number"] for r in api.get(accounts_url()).json()["results"]] == everyone
    reseller = people["reseller"].account
    below = api.get(accounts_url(), {"parent": reseller.number}).json()["results"]
    assert [r["number"] for r in below] == [people["customer"].account.number]
    top = api.get(accounts_url(), {"parent": "operator"}).json()["results"]
    assert {r["number"] for r in top} == {reseller.number, people["other"].account.number}
    for parent in (people["customer"].account.number, "0000000000", str(reseller.pk)):
        refused = api.get(accounts_url(), {"parent": parent})
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"parent": ["Enter a reseller's account number, or operator."]}


def test_create_an_account_under_a_reseller_or_the_operator(people, api_as):
    reseller = people["reseller"].account
    answer = api_as("admin").post(accounts_url(), {"name": "Made By Admin", "kind": "customer", "parent": reseller.number,
                                                   "username": "madebyadmin", "password": PASSWORD,
                                                   "status": "suspended", "credit_limit": "3"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["parent"] == reseller.number and body["status"] == "suspended" and body["credit_limit"] == "3.0000"
    account = Account.objects.get(number=body["number"])
    assert audit_sources("account.created", account=account) == [("api", "api-admin")]
    top = api_as("admin").post(accounts_url(), {"name": "Top", "kind": "reseller", "username": "topres",
                                                "password": PASSWORD})
    assert top.status_code == 201 and top.json()["parent"] is None and top.json()["status"] == "active"


def test_create_account_messages_are_the_forms(people, api_as):
    customer = people["customer"].account
    for body, field, message in [
        ({"parent": customer.number}, "parent", "Select a valid choice. That choice is not one of the available "
                                                "choices."),
        ({"username": people["reseller"].username}, "username", "This username is taken."),
        ({"status": "closed"}, "status", "Select a valid choice. closed is not one of the available choices."),
    ]:
        answer = api_as("admin").post(accounts_url(), {"name": "N", "username": "fresh", "password": PASSWORD, **body})
        assert answer.status_code == 422 and answer.json()["errors"][field] == [message], answer.content
    assert not Account.objects.filter(name="N").exists()


@pytest.mark.parametrize("field", ["balance", "number", "low_balance_notified_at"])
def test_create_account_refuses_balance_and_number(api_as, field):
    answer = api_as("admin").post(accounts_url(), {"name": "N", "username": "fresh", "password": PASSWORD,
                                                   field: "1"})
    assert answer.status_code == 422 and answer.json()["errors"] == {field: ["This field cannot be set."]}


def test_the_account_list_costs_the_same_at_any_size(people, api_as, django_assert_max_num_queries):
    api = api_as("admin")
    api.get(accounts_url())
    with django_assert_max_num_queries(3):  # token; throttle; the page (login and parent joined)
        assert len(api.get(accounts_url(), {"limit": 2}).json()["results"]) == 2


def test_one_account_and_its_change(people, api_as):
    customer = people["customer"].account
    api = api_as("admin")
    assert api.get(accounts_url(customer.number)).json()["name"] == "API Customer"
    assert api.get(accounts_url("0000000000")).status_code == 404
    answer = api.patch(accounts_url(customer.number), {"name": "Renamed", "status": "suspended"})
    assert answer.status_code == 200 and answer.json()["name"] == "Renamed" and answer.json()["status"] == "suspended"
    assert audit_sources("account.updated", account=customer) == [("api", "api-admin")]
    assert audit_sources("account.suspended", account=customer) == [("api", "api-admin")]
    for field, value in [("balance", "1"), ("parent", people["other"].account.number), ("kind", "reseller")]:
        refused = api.patch(accounts_url(customer.number), {field: value})
        assert refused.status_code == 422 and refused.json()["errors"] == {field: ["This field cannot be set."]}
    customer.refresh_from_db()
    assert customer.parent == people["reseller"].account and customer.kind == "customer"


# --- funds -----------------------------------------------------------------------------------------

def funds(api, number, body, key="f-1"):
    return api.post(accounts_url(number, funds=True), body, HTTP_IDEMPOTENCY_KEY=key)


def test_add_funds_and_an_adjustment(people, api_as):
    account = people["customer"].account
    api = api_as("admin")
    refill = funds(api, account.number, {"amount": "40", "description": "Wire 77"})
    assert refill.status_code == 201, refill.content
    assert {k: refill.json()[k] for k in ("kind", "amount", "description", "balance_after")} == {
        "kind": "funds_added", "amount": "40.0000", "description": "Wire 77", "balance_after": "40.0000"}
    debit = funds(api, account.number, {"kind": "adjustment", "amount": "-2.5", "reason": "Refund reversed"}, key="f-2")
    assert debit.status_code == 201 and debit.json()["balance_after"] == "37.5000"
    assert debit.json()["kind"] == "adjustment" and debit.json()["description"] == "Refund reversed"
    account.refresh_from_db()
    assert account.balance.amount == Decimal("37.5")
    assert audit_sources("balance.funds_added", account=account) == [("api", "api-admin")]
    assert audit_sources("balance.adjusted", account=account) == [("api", "api-admin")]


def test_funds_are_posted_once_per_key(people, api_as):
    account = people["customer"].account
    api = api_as("admin")
    first = funds(api, account.number, {"amount": "40"}, key="same")
    again = funds(api, account.number, {"amount": "40"}, key="same")
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert funds(api, account.number, {"amount": "41"}, key="same").status_code == 422
    assert account.ledger_entries.count() == 1
    no_key = api.post(accounts_url(account.number, funds=True), {"amount": "40"})
    assert no_key.status_code == 422 and list(no_key.json()["errors"]) == ["Idempotency-Key"]


def _form_errors(form_class, data, account) -> dict:
    form = form_class({f"{form_class.prefix}-{k}": v for k, v in data.items()}
                      | {f"{form_class.prefix}-idempotency_key": str(uuid.uuid4())}, account_id=account.pk)
    assert not form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


def test_funds_messages_are_the_pages(people, api_as):
    account = people["customer"].account
    api = api_as("admin")
    for kind, form_class, body in [
        ("refill", AddFundsForm, {"amount": "0"}), ("refill", AddFundsForm, {"amount": "-3"}),
        ("refill", AddFundsForm, {"amount": "1.00001"}), ("adjustment", AdjustmentForm, {"amount": "0", "reason": "x"}),
        ("adjustment", AdjustmentForm, {"amount": "5", "reason": "  "}), ("adjustment", AdjustmentForm, {"amount": "5"}),
    ]:
        answer = funds(api, account.number, {"kind": kind, **body}, key=str(uuid.uuid4()))
        assert answer.status_code == 422, answer.content
        assert answer.json()["errors"] == _form_errors(form_class, body, account), body
    bad_kind = funds(api, account.number, {"kind": "gift", "amount": "5"}, key="gift")
    assert bad_kind.status_code == 422 and list(bad_kind.json()["errors"]) == ["kind"]
    # Each kind takes its own text field only; no balance, account or key in a body.
    for body in ({"amount": "5", "reason": "r"}, {"kind": "adjustment", "amount": "5", "reason": "r", "description": "d"},
                 {"amount": "5", "balance": "9"}, {"amount": "5", "account": "1"}, {"amount": "5", "idempotency_key": "k"}):
        answer = funds(api, account.number, body, key=str(uuid.uuid4()))
        assert answer.status_code == 422, body
        assert all(v == ["This field cannot be set."] for v in answer.json()["errors"].values()), answer.json()
    assert account.ledger_entries.count() == 0


def test_funds_for_a_missing_account_is_404(api_as):
    assert funds(api_as("admin"), "0000000000", {"amount": "5"}).status_code == 404


def test_a_login_made_by_the_api_can_log_in(people, api_as):
    api_as("admin").post(accounts_url(), {"name": "Logs In", "username": "logsin", "password": PASSWORD})
    user = User.objects.get(username="logsin")
    assert user.check_password(PASSWORD) and user.is_active and user.account.name == "Logs In"

