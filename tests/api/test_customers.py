"""/api/v1/customers/: a reseller's customers and sub-resellers from code, with the rules of its
Customers pages: resellers only (a customer's and an admin's token: 403), the accounts directly
below it (any other number: 404), the pages' forms and messages, the pages' services and so
their audit rows (source API), and no field a page does not have."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, User
from audit.models import AuditEntry
from billing.ledger.funds import add_funds
from tests.factories import make_account_user

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "correct-horse-battery-9"
ACCOUNT_FIELDS = {"number", "name", "kind", "parent", "email", "username", "balance", "credit_limit", "status",
                  "created_at"}


def customers_url(number=None, *, payments=False):
    if number is None:
        return reverse("api:customers")
    return reverse("api:customer_payments" if payments else "api:customer", args=[number])


@pytest.fixture
def tree(people):
    """people's reseller R (customer C) and other reseller O, plus: a sub-reseller S of R with a
    customer G of its own (two levels below R), and a customer of O."""
    reseller = people["reseller"].account
    sub = make_account_user(Account.Kind.RESELLER, parent=reseller, name="API Sub").account
    grand = make_account_user(Account.Kind.CUSTOMER, parent=sub, name="API Grandchild").account
    others = make_account_user(Account.Kind.CUSTOMER, parent=people["other"].account, name="Other Customer").account
    return {"reseller": reseller, "customer": people["customer"].account, "sub": sub, "grand": grand,
            "others": others, "other": people["other"].account}


def audit_rows(action, account):
    return list(AuditEntry.objects.filter(action=action, account=account).values_list("source", "actor_name"))


# --- roles: resellers only -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["customer", "admin"])
def test_a_customers_and_an_admins_token_get_403_everywhere(tree, api_as, role):
    api = api_as(role)
    number = tree["customer"].number
    answers = [api.get(customers_url()), api.post(customers_url(), {"name": "x"}), api.get(customers_url(number)),
               api.patch(customers_url(number), {"name": "x"}),
               api.post(customers_url(number, payments=True), {"amount": "5"}, HTTP_IDEMPOTENCY_KEY="k1")]
    for answer in answers:
        assert answer.status_code == 403, answer.content
        assert answer["Content-Type"] == "application/problem+json" and answer.json()["code"] == "forbidden"
    assert Account.objects.filter(name="x").count() == 0
    assert tree["customer"].ledger_entries.count() == 0


def test_a_session_is_not_a_token(tree, people):
    client = Client()
    client.force_login(people["reseller"])
    answer = client.get(customers_url())
    assert answer.status_code == 401 and answer.json()["code"] == "not-authenticated"


# --- the list ------------------------------------------------------------------------------------

def test_the_list_is_the_accounts_directly_below_the_reseller(tree, api_as):
    body = api_as("reseller").get(customers_url()).json()
    assert [row["number"] for row in body["results"]] == sorted([tree["customer"].number, tree["sub"].number])
    row = next(row for row in body["results"] if row["number"] == tree["customer"].number)
    assert set(row) == ACCOUNT_FIELDS
    assert row["parent"] == tree["reseller"].number and row["kind"] == "customer" and row["balance"] == "0.0000"
    raw = api_as("reseller").get(customers_url()).content.decode()
    for foreign in ("grand", "others", "other"):
        assert tree[foreign].number not in raw and tree[foreign].name not in raw
    # The other reseller sees its own customer only.
    assert [r["number"] for r in api_as("other").get(customers_url()).json()["results"]] == [tree["others"].number]


def test_the_list_filters_as_the_search_panel(tree, api_as):
    api = api_as("reseller")
    assert [r["number"] for r in api.get(customers_url(), {"kind": "reseller"}).json()["results"]] == [
        tree["sub"].number]
    assert [r["number"] for r in api.get(customers_url(), {"q": "API Cust"}).json()["results"]] == [
        tree["customer"].number]
    answer = api.get(customers_url(), {"status": "gone"})
    assert answer.status_code == 422 and "status" in answer.json()["errors"]


def test_the_list_pages_by_cursor_and_costs_the_same_at_any_size(tree, api_as, django_assert_max_num_queries):
    for n in range(5):
        make_account_user(Account.Kind.CUSTOMER, parent=tree["reseller"], name=f"Bulk {n}")
    api = api_as("reseller")
    api.get(customers_url())  # the token's last use written once
    with django_assert_max_num_queries(4):  # token + login + account; throttle; the page (users, parents joined)
        first = api.get(customers_url(), {"limit": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = api.get(first["next"]).json()
    last = api.get(second["next"]).json()
    assert len(second["results"]) == 3 and len(last["results"]) == 1 and last["next"] is None  # 7: 3 + 3 + 1
    numbers = [r["number"] for page in (first, second, last) for r in page["results"]]
    assert numbers == sorted(Account.objects.filter(parent=tree["reseller"]).values_list("number", flat=True))


# --- one account: 404 outside the reseller's own -----------------------------------------------

@pytest.mark.parametrize("whose", ["grand", "others", "other", "reseller", "missing"])
def test_any_account_not_directly_below_is_404(tree, api_as, whose):
    number = "9999999999" if whose == "missing" else tree[whose].number
    api = api_as("reseller")
    before = list(Account.objects.order_by("pk").values())
    answers = [api.get(customers_url(number)), api.patch(customers_url(number), {"name": "Hijacked"}),
               api.post(customers_url(number, payments=True), {"amount": "5"}, HTTP_IDEMPOTENCY_KEY=f"k-{whose}")]
    for answer in answers:
        assert answer.status_code == 404 and answer.json()["code"] == "not-found", answer.content
    assert list(Account.objects.order_by("pk").values()) == before


def test_one_account(tree, api_as):
    body = api_as("reseller").get(customers_url(tree["sub"].number)).json()
    assert body["number"] == tree["sub"].number and body["kind"] == "reseller" and body["name"] == "API Sub"
    assert body["username"] == tree["sub"].user.username


# --- create ----------------------------------------------------------------------------------------

def test_create_a_customer_with_its_login(tree, api_as, people):
    answer = api_as("reseller").post(customers_url(), {
        "name": "New Shop", "username": "newshop", "password": GOOD_PASSWORD, "email": "shop@example.com",
        "credit_limit": "10.5"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    account = Account.objects.get(number=body["number"])
    assert answer["Location"] == customers_url(account.number)
    assert body == {**body, "name": "New Shop", "kind": "customer", "parent": tree["reseller"].number,
                    "email": "shop@example.com", "username": "newshop", "balance": "0.0000",
                    "credit_limit": "10.5000", "status": "active"}
    assert account.parent == tree["reseller"] and account.is_active
    user = User.objects.get(username="newshop")
    assert user.account == account and user.check_password(GOOD_PASSWORD)
    assert audit_rows("account.created", account) == [("api", people["reseller"].username)]


def test_create_a_sub_reseller(tree, api_as):
    answer = api_as("reseller").post(customers_url(), {"name": "Sub Two", "kind": "reseller", "username": "subtwo",
                                                       "password": GOOD_PASSWORD})
    assert answer.status_code == 201 and answer.json()["kind"] == "reseller" and answer.json()["credit_limit"] == \
        "0.0000"


@pytest.mark.parametrize("field, value", [
    ("balance", "999999.0000"), ("status", "suspended"), ("parent", "OTHER"), ("number", "0000000001"),
    ("is_staff", True),
])
def test_create_refuses_a_field_the_page_does_not_have(tree, api_as, field, value):
    value = tree["other"].number if value == "OTHER" else value
    answer = api_as("reseller").post(customers_url(), {"name": "Sneaky", "username": "sneaky",
                                                       "password": GOOD_PASSWORD, field: value})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {field: ["This field cannot be set."]}
    assert not Account.objects.filter(name="Sneaky").exists() and not User.objects.filter(username="sneaky").exists()


def _page_errors(client, data) -> dict:
    """The Create Customer page's messages for ``data`` (its form's errors, field by field)."""
    response = client.post(reverse("customers:create"), data)
    assert response.status_code == 200
    return {name: list(messages) for name, messages in response.context["form"].errors.items()}


def test_create_gives_the_pages_messages(tree, api_as, people):
    client = Client()
    client.force_login(people["reseller"])
    taken = people["customer"].username
    cases = [
        ({"name": "A", "username": taken, "password": GOOD_PASSWORD}, "username"),
        ({"name": "A", "username": "fresh1", "password": "short"}, "password"),
        ({"name": "A", "username": "fresh2", "password": "123456789012"}, "password"),  # digits only
        ({"name": "A", "username": "fresh3", "password": GOOD_PASSWORD, "credit_limit": "5.12345"}, "credit_limit"),
        ({"name": "A", "username": "fresh4", "password": GOOD_PASSWORD, "credit_limit": "-1"}, "credit_limit"),
        ({"name": "A", "username": "bad name!", "password": GOOD_PASSWORD}, "username"),
        ({"name": "A", "username": "fresh5", "password": GOOD_PASSWORD, "kind": "operator"}, "kind"),
        ({"name": "A", "username": "fresh6", "password": GOOD_PASSWORD, "email": "not-an-address"}, "email"),
        ({"username": "fresh7", "password": GOOD_PASSWORD}, "name"),
    ]
    for body, field in cases:
        answer = api_as("reseller").post(customers_url(), body)
        assert answer.status_code == 422, (body, answer.content)
        errors = answer.json()["errors"]
        page = _page_errors(client, {"kind": "customer", "credit_limit": "0", **{
            ("password1" if k == "password" else k): v for k, v in body.items()},
            "password2": body["password"]})
        page_field = "password1" if field == "password" else field
        assert errors[field] == page[page_field], (field, errors, page)
    assert not Account.objects.filter(name="A").exists()


def test_create_as_a_float_amount_is_refused(tree, api_as):
    answer = api_as("reseller").post(customers_url(), {"name": "F", "username": "floaty", "password": GOOD_PASSWORD,
                                                       "credit_limit": 5.5})
    assert answer.status_code == 422 and answer.json()["errors"] == {
        "credit_limit": ['Send amounts as strings, e.g. "5.0000".']}


# --- change ----------------------------------------------------------------------------------------

def test_patch_changes_only_what_is_sent(tree, api_as, people):
    customer = tree["customer"]
    customer.email = "old@example.com"
    customer.save()
    answer = api_as("reseller").patch(customers_url(customer.number), {"credit_limit": "25"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["credit_limit"] == "25.0000"
    customer.refresh_from_db()
    assert customer.credit_limit.amount == Decimal("25") and customer.email == "old@example.com"
    assert customer.name == "API Customer"
    assert audit_rows("account.updated", customer) == [("api", people["reseller"].username)]


def test_patch_suspends_and_reactivates(tree, api_as, people):
    customer = tree["customer"]
    answer = api_as("reseller").patch(customers_url(customer.number), {"status": "suspended"})
    assert answer.status_code == 200 and answer.json()["status"] == "suspended"
    customer.refresh_from_db()
    assert customer.status == "suspended"
    assert audit_rows("account.suspended", customer) == [("api", people["reseller"].username)]
    assert not AuditEntry.objects.filter(action="account.updated", account=customer).exists()  # nothing else changed
    api_as("reseller").patch(customers_url(customer.number), {"status": "active", "name": "Back Again"})
    customer.refresh_from_db()
    assert customer.status == "active" and customer.name == "Back Again"
    bad = api_as("reseller").patch(customers_url(customer.number), {"status": "deleted"})
    assert bad.status_code == 422 and bad.json()["errors"] == {"status": ["Choose Active or Suspended."]}


@pytest.mark.parametrize("field, value", [
    ("balance", "999999.0000"), ("parent", "OTHER"), ("number", "0000000001"), ("kind", "reseller"),
    ("username", "takeover"), ("password", GOOD_PASSWORD),
])
def test_patch_refuses_a_field_the_page_does_not_have(tree, api_as, field, value):
    value = tree["other"].number if value == "OTHER" else value
    before = list(Account.objects.order_by("pk").values())
    answer = api_as("reseller").patch(customers_url(tree["customer"].number), {"name": "Renamed", field: value})
    assert answer.status_code == 422 and answer.json()["errors"] == {field: ["This field cannot be set."]}
    assert list(Account.objects.order_by("pk").values()) == before


def test_patch_gives_the_pages_messages(tree, api_as, people):
    customer = tree["customer"]
    client = Client()
    client.force_login(people["reseller"])
    for body, field in [({"credit_limit": "abc"}, "credit_limit"), ({"name": ""}, "name"),
                        ({"email": "nope"}, "email")]:
        answer = api_as("reseller").patch(customers_url(customer.number), body)
        assert answer.status_code == 422
        page = client.post(reverse("customers:edit", args=[customer.number]),
                           {"name": customer.name, "email": "", "credit_limit": "0", **body})
        assert answer.json()["errors"][field] == list(page.context["form"].errors[field])


# --- payments --------------------------------------------------------------------------------------

def pay(api, number, body, key="pay-1"):
    return api.post(customers_url(number, payments=True), body, HTTP_IDEMPOTENCY_KEY=key)


def test_record_a_payment(tree, api_as, people):
    customer, reseller = tree["customer"], tree["reseller"]
    reseller.refresh_from_db()
    reseller_balance = reseller.balance
    answer = pay(api_as("reseller"), customer.number, {"amount": "50", "reference": "Bank transfer 123"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert {k: body[k] for k in ("account_number", "kind", "amount", "description", "balance_after", "seq")} == {
        "account_number": customer.number, "kind": "payment", "amount": "50.0000",
        "description": "Bank transfer 123", "balance_after": "50.0000", "seq": 1}
    customer.refresh_from_db()
    reseller.refresh_from_db()
    assert customer.balance.amount == Decimal("50") and reseller.balance == reseller_balance  # never the reseller's
    entry = customer.ledger_entries.get()
    assert entry.kind == "payment" and entry.created_by == people["reseller"]
    assert audit_rows("balance.payment_recorded", customer) == [("api", people["reseller"].username)]


def test_a_payment_is_posted_once_per_key(tree, api_as):
    customer = tree["customer"]
    api = api_as("reseller")
    first = pay(api, customer.number, {"amount": "50.0000"}, key="once")
    again = pay(api, customer.number, {"amount": "50.0000"}, key="once")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert first.json()["description"] == "Payment received"
    assert customer.ledger_entries.count() == 1
    customer.refresh_from_db()
    assert customer.balance.amount == Decimal("50")
    # The same key with another body: 422, nothing posted.
    for body in ({"amount": "60"}, {"amount": "50", "reference": "other"}):
        reused = pay(api, customer.number, body, key="once")
        assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["errors"]
    assert pay(api, tree["sub"].number, {"amount": "50.0000"}, key="once").status_code == 422  # another account
    assert customer.ledger_entries.count() == 1 and tree["sub"].ledger_entries.count() == 0
    # A new key: a new payment.
    assert pay(api, customer.number, {"amount": "50.0000"}, key="twice").status_code == 201
    assert customer.ledger_entries.count() == 2


def test_keys_are_each_resellers_own(tree, api_as):
    pay(api_as("reseller"), tree["customer"].number, {"amount": "5"}, key="shared")
    answer = pay(api_as("other"), tree["others"].number, {"amount": "7"}, key="shared")
    assert answer.status_code == 201 and answer.json()["amount"] == "7.0000"


def test_a_payment_needs_a_key(tree, api_as):
    answer = api_as("reseller").post(customers_url(tree["customer"].number, payments=True), {"amount": "5"})
    assert answer.status_code == 422 and list(answer.json()["errors"]) == ["Idempotency-Key"]
    assert tree["customer"].ledger_entries.count() == 0


def test_a_refused_payment_leaves_its_key_free(tree, api_as):
    customer = tree["customer"]
    assert pay(api_as("reseller"), customer.number, {"amount": "0"}, key="k").status_code == 422
    assert pay(api_as("reseller"), customer.number, {"amount": "5"}, key="k").status_code == 201


def test_payment_messages_are_the_pages(tree, api_as, people):
    customer = tree["customer"]
    client = Client()
    client.force_login(people["reseller"])
    page = client.get(reverse("customers:payment", args=[customer.number]))
    key = page.context["form"]["idempotency_key"].value()
    for amount in ("0", "-5", "1.23456", "abc", ""):
        answer = pay(api_as("reseller"), customer.number, {"amount": amount}, key=f"m{amount}")
        assert answer.status_code == 422, answer.content
        shown = client.post(reverse("customers:payment", args=[customer.number]),
                            {"amount": amount, "idempotency_key": key})
        assert answer.json()["errors"]["amount"] == list(shown.context["form"].errors["amount"])
    assert customer.ledger_entries.count() == 0


@pytest.mark.parametrize("field", ["balance", "account", "kind", "balance_after", "created_by", "idempotency_key"])
def test_a_payment_takes_amount_and_reference_only(tree, api_as, field):
    answer = pay(api_as("reseller"), tree["customer"].number, {"amount": "5", field: "x"})
    assert answer.status_code == 422 and answer.json()["errors"] == {field: ["This field cannot be set."]}
    assert tree["customer"].ledger_entries.count() == 0


def test_a_suspended_resellers_token_is_refused(tree, api_as):
    add_funds(account_id=tree["customer"].pk, amount=Decimal("1"))
    Account.objects.filter(pk=tree["reseller"].pk).update(status="suspended")
    answer = api_as("reseller").get(customers_url())
    assert answer.status_code == 403 and answer.json()["code"] == "account-suspended"
