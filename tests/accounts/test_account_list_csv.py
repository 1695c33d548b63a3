"""Export CSV of the admin's account list (issue 17): the page's search and sort, every account
(not one page), plain money, admin only, a fixed number of queries; the page keeps its button."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from tests.csv_export_helpers import csv_queries, read_csv, shows_export_button
from tests.factories import AccountFactory, make_account_user

pytestmark = pytest.mark.django_db

HEADER = ["Account number", "Name", "Type", "Parent", "Parent account number", "E-mail", "Balance (USD)",
          "Credit limit (USD)", "Status", "Created"]


def test_the_csv_is_the_searched_sorted_list(admin_client, reseller_user, customer_user):
    AccountFactory(name="=cmd|' /C calc'!A0", kind=Account.Kind.CUSTOMER, credit_limit=Decimal("12.5"))
    rows = read_csv(admin_client.get(reverse("manage:list") + "?format=csv&sort=-name"))
    assert rows[0] == HEADER
    assert [r[1] for r in rows[1:]] == ["Reseller A", "Customer A", "'=cmd|' /C calc'!A0"]
    customer = rows[2]
    assert customer[2:5] == ["Customer", "Reseller A", reseller_user.account.number]
    assert customer[6:9] == ["0.0000", "0.0000", "Active"] and rows[1][3] == "Operator"
    assert rows[3][7] == "12.5000"
    searched = read_csv(admin_client.get(reverse("manage:list") + "?format=csv&kind=customer&q=Customer"))
    assert [r[1] for r in searched[1:]] == ["Customer A"]
    children = read_csv(admin_client.get(reverse("manage:list") + f"?format=csv&parent={reseller_user.account_id}"))
    assert [r[1] for r in children[1:]] == ["Customer A"]


def test_admin_only(client, reseller_user):
    client.force_login(reseller_user)
    assert client.get(reverse("manage:list") + "?format=csv").status_code == 403


def test_the_page_keeps_its_button(admin_client):
    assert shows_export_button(admin_client.get(reverse("manage:list")).content.decode())


def test_every_account_in_a_fixed_number_of_queries(admin_client, reseller_user):
    few, rows = csv_queries(admin_client, reverse("manage:list") + "?format=csv&per_page=10")
    for _ in range(40):
        make_account_user(Account.Kind.CUSTOMER, parent=reseller_user.account)
    many, more = csv_queries(admin_client, reverse("manage:list") + "?format=csv&per_page=10")
    assert (len(rows), len(more)) == (2, 42) and few == many
