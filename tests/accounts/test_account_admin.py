"""The admin's account management: list, create, edit, suspend/reactivate, and who may open it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account, User
from accounts.services import AccountError, account_create, account_set_status, account_update
from billing.ledger.funds import add_funds
from tests.factories import PASSWORD, AccountFactory, make_account_user

GOOD_PASSWORD = "Sunny-Kettle-42"


def create_data(**changes) -> dict:
    data = {
        "name": "Blue Reseller",
        "kind": "reseller",
        "parent": "",
        "status": "active",
        "username": "blue",
        "email": "blue@example.com",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "credit_limit": "25.5",
    }
    data.update(changes)
    return data


def counts() -> tuple[int, int]:
    return Account.objects.count(), User.objects.count()


# --- create -------------------------------------------------------------------

def test_admin_creates_a_reseller_under_the_operator(admin_client, client):
    response = admin_client.post(reverse("manage:create"), create_data())
    account = Account.objects.get(name="Blue Reseller")
    assert response.status_code == 302 and response["Location"] == reverse("billing:account", args=[account.pk])
    assert account.kind == Account.Kind.RESELLER and account.parent is None and account.is_active
    assert len(account.number) == 10 and account.number.isdigit()
    assert account.credit_limit.amount == Decimal("25.5000") and account.balance.amount == 0
    assert account.email == "blue@example.com"
    user = User.objects.get(username="blue")
    assert user.account == account and not user.is_staff and user.check_password(GOOD_PASSWORD)
    page = admin_client.get(response["Location"]).content.decode()
    assert f"Reseller Blue Reseller created with account number {account.number}." in page
    # The new login works.
    client.logout()
    assert client.post(reverse("login"), {"username": "blue", "password": GOOD_PASSWORD}).status_code == 302


@pytest.mark.parametrize("kind", ["reseller", "customer"])
def test_admin_creates_an_account_under_a_reseller(admin_client, reseller_user, kind):
    parent = reseller_user.account
    response = admin_client.post(
        reverse("manage:create"), create_data(kind=kind, parent=str(parent.pk), username=f"sub-{kind}")
    )
    assert response.status_code == 302
    account = Account.objects.get(user__username=f"sub-{kind}")
    assert account.parent == parent and account.kind == kind


def test_customer_under_the_operator_and_suspended_from_the_start(admin_client):
    admin_client.post(reverse("manage:create"), create_data(kind="customer", status="suspended", username="c0"))
    account = Account.objects.get(user__username="c0")
    assert account.kind == Account.Kind.CUSTOMER and account.parent is None and not account.is_active


BAD_INPUT = [
    ("name", {"name": ""}, "This field is required."),
    ("name", {"name": "x" * 121}, "at most 120 characters"),
    ("kind", {"kind": "admin"}, "Select a valid choice"),
    ("status", {"status": "deleted"}, "Select a valid choice"),
    ("parent", {"parent": "999999"}, "Select a valid choice"),
    ("username", {"username": ""}, "This field is required."),
    ("username", {"username": "two words"}, "Enter a valid username"),
    ("email", {"email": "not-an-email"}, "Enter a valid email address."),
    ("password1", {"password1": ""}, "This field is required."),
    ("password1", {"password1": "short1", "password2": "short1"}, "too short"),
    ("password1", {"password1": "password123", "password2": "password123"}, "too common"),
    ("password1", {"password1": "8675309123", "password2": "8675309123"}, "entirely numeric"),
    ("password1", {"password1": "bluereseller", "password2": "bluereseller", "username": "bluereseller"}, "too similar"),
    ("password2", {"password2": "Other-Kettle-42"}, "The two passwords do not match."),
    ("credit_limit", {"credit_limit": "-1"}, "greater than or equal to 0"),
    ("credit_limit", {"credit_limit": "1e3"}, "plain digits"),
    ("credit_limit", {"credit_limit": "ten"}, "plain digits"),
    ("credit_limit", {"credit_limit": "1.00001"}, "4 decimal places"),
    ("credit_limit", {"credit_limit": "1000000"}, "less than or equal to 999999.9999"),
    ("credit_limit", {"credit_limit": ""}, "This field is required."),
]


@pytest.mark.parametrize("field,changes,message", BAD_INPUT, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD_INPUT)])
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_written(admin_client, field, changes, message):
    before = counts()
    data = create_data(name="Typed Name", email="typed@example.com", username="typeduser", credit_limit="7.25")
    data.update(changes)
    response = admin_client.post(reverse("manage:create"), data)
    assert response.status_code == 200
    assert counts() == before
    form = response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    assert set(form.errors) == {field}
    html = response.content.decode()
    assert f'id="error_1_id_{field}"' in html  # crispy puts the message under the field
    # The form is kept as typed (passwords are never sent back, as usual).
    for name in ("name", "email", "username", "credit_limit"):
        if name != field:
            assert f'value="{data[name]}"' in html


def test_a_customer_cannot_be_chosen_as_parent(admin_client, customer_user):
    before = counts()
    response = admin_client.post(reverse("manage:create"), create_data(parent=str(customer_user.account_id)))
    assert counts() == before
    assert "Select a valid choice" in response.context["form"].errors["parent"][0]


def test_taken_username_is_an_error_next_to_username(admin_client, reseller_user):
    before = counts()
    response = admin_client.post(reverse("manage:create"), create_data(username=reseller_user.username.upper()))
    assert counts() == before
    assert response.context["form"].errors == {"username": ["This username is taken."]}


def test_service_refuses_taken_username_and_customer_parent(reseller_user, customer_user):
    before = counts()
    with pytest.raises(AccountError) as exc:
        account_create(name="X", kind="customer", username=reseller_user.username, password=GOOD_PASSWORD)
    assert exc.value.field == "username"
    with pytest.raises(AccountError) as exc:
        account_create(name="X", kind="customer", username="x1", password=GOOD_PASSWORD, parent=customer_user.account)
    assert exc.value.field == "parent"
    with pytest.raises(AccountError) as exc:
        account_create(name="X", kind="customer", username="x2", password=GOOD_PASSWORD, credit_limit=Decimal("-1"))
    assert exc.value.field == "credit_limit"
    with pytest.raises(AccountError) as exc:
        account_create(name="  ", kind="customer", username="x3", password=GOOD_PASSWORD)
    assert exc.value.field == "name"
    assert counts() == before


def test_service_error_from_a_race_lands_next_to_the_field(admin_client, monkeypatch):
    """The form checked the username; someone took it before the insert."""
    def taken(**kwargs):
        raise AccountError("This username is taken.", field="username")

    monkeypatch.setattr("accounts.views_admin.account_create", taken)
    response = admin_client.post(reverse("manage:create"), create_data())
    assert response.status_code == 200
    assert response.context["form"].errors == {"username": ["This username is taken."]}


def test_create_page_shows_operator_and_resellers_as_parents(admin_client, reseller_user, customer_user):
    html = admin_client.get(reverse("manage:create")).content.decode()
    assert '<option value="" selected>Operator</option>' in html
    assert str(reseller_user.account) in html
    assert str(customer_user.account) not in html


# --- edit, suspend, reactivate ---------------------------------------------------

def test_edit_changes_name_email_and_credit_limit_only(admin_client, reseller_user, admin_user):
    account = reseller_user.account
    add_funds(account_id=account.pk, amount=Decimal("40"), by=admin_user)
    url = reverse("manage:edit", args=[account.pk])
    assert 'value="0.0000"' in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"name": "Renamed", "email": "new@example.com", "credit_limit": "12.3456"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.email, account.credit_limit.amount) == ("Renamed", "new@example.com", Decimal("12.3456"))
    assert account.balance.amount == 40
    assert User.objects.get(pk=reseller_user.pk).email == "new@example.com"


@pytest.mark.parametrize("changes,field", [
    ({"name": ""}, "name"),
    ({"credit_limit": "-0.0001"}, "credit_limit"),
    ({"credit_limit": "abc"}, "credit_limit"),
    ({"email": "nope"}, "email"),
])
def test_edit_with_bad_input_changes_nothing(admin_client, reseller_user, changes, field):
    account = reseller_user.account
    data = {"name": "Typed", "email": "typed@example.com", "credit_limit": "3"} | changes
    response = admin_client.post(reverse("manage:edit", args=[account.pk]), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    fresh = Account.objects.get(pk=account.pk)
    assert (fresh.name, fresh.credit_limit.amount) == (account.name, account.credit_limit.amount)
    html = response.content.decode()
    for name in ("name", "email", "credit_limit"):
        if name != field:
            assert f'value="{data[name]}"' in html


def test_edit_unknown_account_is_404(admin_client):
    assert admin_client.get(reverse("manage:edit", args=[987654])).status_code == 404


def test_suspend_then_reactivate(admin_client, client, reseller_user):
    account = reseller_user.account
    url = reverse("manage:status", args=[account.pk])
    # GET is the confirmation page: it says what Suspend means and posts the status it confirms.
    page = admin_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "It cannot log in or buy" in html
    assert 'name="status" value="suspended"' in html
    assert f'href="{reverse("billing:account", args=[account.pk])}">Cancel</a>' in html
    account.refresh_from_db()
    assert account.is_active  # opening the page changed nothing
    response = admin_client.post(url, {"status": "suspended"}, follow=True)
    assert "suspended. It can no longer log in or buy." in response.content.decode()
    account.refresh_from_db()
    assert not account.is_active
    # A suspended account cannot log in.
    other = client.__class__()
    response = other.post(reverse("login"), {"username": reseller_user.username, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in other.session
    html = admin_client.get(url).content.decode()
    assert "It can log in and buy again." in html and 'name="status" value="active"' in html
    response = admin_client.post(url, {"status": "active"}, follow=True)
    assert "reactivated" in response.content.decode()
    assert other.post(reverse("login"), {"username": reseller_user.username, "password": PASSWORD}).status_code == 302


def test_status_with_garbage_changes_nothing(admin_client, reseller_user):
    response = admin_client.post(reverse("manage:status", args=[reseller_user.account_id]), {"status": "gone"}, follow=True)
    assert "Choose Active or Suspended." in response.content.decode()
    assert Account.objects.get(pk=reseller_user.account_id).is_active


def test_services_never_touch_the_balance(reseller_user, admin_user):
    add_funds(account_id=reseller_user.account_id, amount=Decimal("9"), by=admin_user)
    stale = Account.objects.get(pk=reseller_user.account_id)
    add_funds(account_id=reseller_user.account_id, amount=Decimal("1"), by=admin_user)
    account_update(account_id=stale.pk, name="N", email="", credit_limit=Decimal("2"))
    account_set_status(account_id=stale.pk, status="suspended")
    assert Account.objects.get(pk=stale.pk).balance.amount == 10


# --- list ---------------------------------------------------------------------

def test_list_shows_the_columns_and_operator_as_parent(admin_client, reseller_user, customer_user, admin_user):
    add_funds(account_id=customer_user.account_id, amount=Decimal("12.5"), by=admin_user)
    html = admin_client.get(reverse("manage:list")).content.decode()
    for header in ("Account number", "Name", "Type", "Parent", "Balance", "Credit limit", "Status"):
        assert header in html
    assert customer_user.account.number in html and "12.5000" in html
    assert "Operator" in html and "1 - 2 of 2 Records" in html
    assert "Refresh" in html


def test_empty_search_says_no_records(admin_client, reseller_user):
    html = admin_client.get(reverse("manage:list"), {"q": "no such account"}).content.decode()
    assert "No Records" in html


def test_counter_and_pages(admin_client, db):
    AccountFactory.create_batch(30)
    assert admin_client.get(reverse("manage:list")).context["page"].counter == "1 - 25 of 30 Records"
    assert admin_client.get(reverse("manage:list"), {"page": 2}).context["page"].counter == "26 - 30 of 30 Records"


def test_search_by_name_number_kind_status_parent(admin_client, reseller_user, customer_user):
    top = reseller_user.account
    lone = AccountFactory(name="Lone Customer", kind="customer", status="suspended")
    rows = lambda **q: {a.pk for a in admin_client.get(reverse("manage:list"), q).context["page"].rows}  # noqa: E731
    assert rows(q="lone") == {lone.pk}
    assert rows(q=top.number[2:8]) == {top.pk}
    assert rows(kind="customer") == {customer_user.account_id, lone.pk}
    assert rows(status="suspended") == {lone.pk}
    assert rows(parent="operator") == {top.pk, lone.pk}
    assert rows(parent=str(top.pk)) == {customer_user.account_id}
    assert rows(kind="customer", parent="operator") == {lone.pk}


def test_sorting_uses_the_allow_list_only(admin_client, admin_user):
    a = make_account_user(name="Alpha").account
    b = make_account_user(name="Beta").account
    add_funds(account_id=a.pk, amount=Decimal("50"), by=admin_user)
    add_funds(account_id=b.pk, amount=Decimal("5"), by=admin_user)
    names = lambda sort: [x.name for x in admin_client.get(reverse("manage:list"), {"sort": sort}).context["page"].rows]  # noqa: E731
    assert names("balance") == ["Beta", "Alpha"]
    assert names("-balance") == ["Alpha", "Beta"]
    assert names("-name") == ["Beta", "Alpha"]
    for evil in ("user__password", "name; DROP TABLE accounts_account", "-id'--"):
        response = admin_client.get(reverse("manage:list"), {"sort": evil})
        assert response.status_code == 200 and response.context["page"].sort == "name"


def test_list_query_count_is_the_same_for_3_and_50_rows(admin_client, reseller_user, django_assert_max_num_queries):
    AccountFactory.create_batch(2, kind="customer", parent=reseller_user.account)
    params = {"sort": "parent", "kind": "customer", "parent": str(reseller_user.account_id)}
    with django_assert_max_num_queries(7) as small:
        admin_client.get(reverse("manage:list"), params)
    AccountFactory.create_batch(48, kind="customer", parent=reseller_user.account)
    with django_assert_max_num_queries(7) as large:
        response = admin_client.get(reverse("manage:list"), params)
    assert response.context["page"].counter == "1 - 25 of 50 Records"
    assert len(small.captured_queries) == len(large.captured_queries)


# --- who may open the pages ------------------------------------------------------

MANAGE_PAGES = [
    ("manage:list", False),
    ("manage:create", False),
    ("manage:edit", True),
    ("manage:status", True),
    ("billing:account", True),
    ("billing:add_funds", True),
    ("billing:adjust", True),
    ("billing:account_statement", True),
]


def _url(name, with_pk, account):
    return reverse(name, args=[account.pk] if with_pk else [])


@pytest.mark.parametrize("name,with_pk", MANAGE_PAGES)
def test_anonymous_is_sent_to_login(client, reseller_user, name, with_pk):
    url = _url(name, with_pk, reseller_user.account)
    assert url.startswith("/accounts/manage/")
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("name,with_pk", MANAGE_PAGES)
@pytest.mark.parametrize("who", ["reseller_client", "customer_client"])
def test_reseller_and_customer_get_403(request, reseller_user, name, with_pk, who):
    client = request.getfixturevalue(who)
    account = reseller_user.account
    url = _url(name, with_pk, account)
    assert client.get(url).status_code == 403
    hijack = {"status": "suspended", "name": "hijack", "credit_limit": "999", "funds-amount": "100",
              "adjust-amount": "100", "adjust-reason": "x", **create_data(username="hijack")}
    assert client.post(url, hijack).status_code == 403
    account.refresh_from_db()
    assert account.is_active and account.name == "Reseller A" and account.balance.amount == 0
    assert not User.objects.filter(username="hijack").exists()


def test_admin_opens_every_page(admin_client, reseller_user):
    for name, with_pk in MANAGE_PAGES:
        if name in {"billing:add_funds", "billing:adjust"}:
            assert admin_client.get(_url(name, with_pk, reseller_user.account)).status_code == 405, name
        else:
            assert admin_client.get(_url(name, with_pk, reseller_user.account)).status_code == 200, name


def test_admin_nav_has_accounts(admin_client):
    html = admin_client.get(reverse("manage:list")).content.decode()
    assert f'href="{reverse("manage:list")}">Accounts</a>' in html


def test_account_page_suspend_opens_the_confirmation_page(admin_client, reseller_user):
    """Suspend acts on no single click: the account page links to the confirmation page."""
    url = reverse("manage:status", args=[reseller_user.account_id])
    html = admin_client.get(reverse("billing:account", args=[reseller_user.account_id])).content.decode()
    assert f'href="{url}">Suspend</a>' in html
    assert f'action="{url}"' not in html
