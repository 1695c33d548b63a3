"""Customers: the reseller's own accounts with the admin's list features (search, sort, the
seed's counter, page size, Export CSV of the filtered list), an empty state that says how to
start, and a fixed number of queries however many rows."""

import csv
import io
from decimal import Decimal

from accounts.models import Account
from billing.ledger.funds import add_funds
from tests.factories import make_account_user
from tests.resellers.customers.conftest import url


def _names(response) -> list[str]:
    return [account.name for account in response.context["page"].rows]


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_an_empty_list_says_how_to_start(reseller_client):
    html = reseller_client.get(url("list")).content.decode()
    assert "No customers yet." in html and "Create the first one." in html
    assert "Create Customer" in html and "Create Sub-reseller" in html and "Export CSV" in html


def test_it_lists_only_the_accounts_directly_under_the_reseller(reseller_client, customer_user, sub_reseller,
                                                               grandchild, other_customer):
    response = reseller_client.get(url("list"))
    assert _names(response) == ["Customer A", "Sub Reseller A"]
    html = response.content.decode()
    assert "1 - 2 of 2 Records" in html and "Sub-reseller" in html
    for hidden in (grandchild.account, other_customer.account, other_customer.account.parent):
        assert hidden.name not in html and hidden.number not in html


def test_search_by_number_name_email_kind_and_status(reseller_client, reseller_user):
    parent = reseller_user.account
    alpha = make_account_user(Account.Kind.CUSTOMER, parent=parent, name="Alpha Telecom", email="ops@alpha.example")
    make_account_user(Account.Kind.CUSTOMER, parent=parent, name="Beta Voice", email="billing@beta.example",
                      status=Account.Status.SUSPENDED)
    make_account_user(Account.Kind.RESELLER, parent=parent, name="Gamma Resale")
    assert _names(reseller_client.get(url("list", q=alpha.account.number[2:8]))) == ["Alpha Telecom"]
    assert _names(reseller_client.get(url("list", q="voice"))) == ["Beta Voice"]
    assert _names(reseller_client.get(url("list", q="BETA.example"))) == ["Beta Voice"]
    assert _names(reseller_client.get(url("list", kind="reseller"))) == ["Gamma Resale"]
    assert _names(reseller_client.get(url("list", status="suspended"))) == ["Beta Voice"]
    nothing = reseller_client.get(url("list", q="nobody"))
    assert _names(nothing) == [] and "No Records" in nothing.content.decode()
    assert "No customers yet" not in nothing.content.decode()
    bad = reseller_client.get(url("list", kind="admin"))  # not a choice: an error, the list unfiltered
    assert bad.context["search"].errors["kind"] and len(_names(bad)) == 3


def test_sort_by_an_allowed_key_only(reseller_client, reseller_user):
    parent = reseller_user.account
    for name, amount in (("Low", "1"), ("High", "30"), ("Mid", "12")):
        user = make_account_user(Account.Kind.CUSTOMER, parent=parent, name=name)
        add_funds(account_id=user.account_id, amount=Decimal(amount))
    assert _names(reseller_client.get(url("list", sort="balance"))) == ["Low", "Mid", "High"]
    assert _names(reseller_client.get(url("list", sort="-balance"))) == ["High", "Mid", "Low"]
    assert _names(reseller_client.get(url("list", sort="password"))) == ["High", "Low", "Mid"]  # by name


def test_counter_pages_and_page_size(reseller_client, reseller_user):
    for n in range(30):
        make_account_user(Account.Kind.CUSTOMER, parent=reseller_user.account, name=f"Customer {n:02d}")
    first = reseller_client.get(url("list"))
    assert "1 - 25 of 30 Records" in first.content.decode() and len(_names(first)) == 25
    assert "26 - 30 of 30 Records" in reseller_client.get(url("list", page=2)).content.decode()
    bigger = reseller_client.get(url("list", per_page=50))
    assert "1 - 30 of 30 Records" in bigger.content.decode() and len(_names(bigger)) == 30
    assert len(_names(reseller_client.get(url("list", per_page=100000)))) == 25  # not an offered size


def test_export_csv_is_the_filtered_list_spreadsheet_safe(reseller_client, reseller_user, other_customer, grandchild):
    parent = reseller_user.account
    make_account_user(Account.Kind.CUSTOMER, parent=parent, name="=HYPERLINK(1)", email="a@example.com")
    make_account_user(Account.Kind.RESELLER, parent=parent, name="Zeta Resale")
    rows = _csv(reseller_client.get(url("list", format="csv", sort="-name")))
    assert rows[0] == ["Account number", "Name", "Type", "E-mail", "Username", "Balance (USD)", "Credit limit (USD)",
                       "Status", "Created"]
    assert [r[1] for r in rows[1:]] == ["Zeta Resale", "Sub Reseller A", "'=HYPERLINK(1)"]  # not B's, no grandchild
    assert rows[1][2] == "Sub-reseller" and rows[3][2] == "Customer" and rows[3][5] == "0.0000"
    filtered = _csv(reseller_client.get(url("list", format="csv", kind="reseller", q="zeta")))
    assert [r[1] for r in filtered[1:]] == ["Zeta Resale"]


def test_the_list_keeps_a_fixed_query_budget(reseller_client, reseller_user, django_assert_max_num_queries):
    make_account_user(Account.Kind.CUSTOMER, parent=reseller_user.account)
    reseller_client.get(url("list"))  # warm the session
    # The session, the user with its account, the count, the page, the header's unread notices.
    with django_assert_max_num_queries(5) as small:
        reseller_client.get(url("list"))
    for _ in range(40):
        make_account_user(Account.Kind.CUSTOMER, parent=reseller_user.account)
    with django_assert_max_num_queries(5) as large:
        reseller_client.get(url("list", sort="-balance", per_page=50, q="Account"))
    assert len(small.captured_queries) == len(large.captured_queries)
