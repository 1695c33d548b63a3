"""Statements: running balance, date filter, CSV, tenants, query budget."""

import csv
import io
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse

from billing.ledger.funds import add_funds, adjust
from billing.ledger.posting import lock_accounts, post
from billing.models import LedgerEntry
from tests.factories import DIDFactory


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=dt_timezone.utc)


@contextmanager
def clock(when: datetime):
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def charge(account_id, amount, *, did=None, days=28, when="2026-01-05T10:00:00", description="DID price"):
    start = at(when)
    with clock(start), transaction.atomic():
        account = lock_accounts([account_id])[account_id]
        return post(account=account, amount=Decimal(amount), kind=LedgerEntry.Kind.DID_PRICE, did=did,
                    period_start=start, period_end=start + timedelta(days=days), description=description)


def refill(account_id, amount, when, description=""):
    with clock(at(when)):
        return add_funds(account_id=account_id, amount=Decimal(amount), description=description)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def history(reseller_user, admin_user):
    """Three entries on three days: +100 (Jan 1), -20 DID price for +12025550000 (Jan 5), -0.5 adjustment (Feb 1)."""
    account_id = reseller_user.account_id
    refill(account_id, "100", "2026-01-01T09:00:00", "Opening")
    did = DIDFactory(number="+12025550000")
    charge(account_id, "-20", did=did, when="2026-01-05T10:00:00")
    with clock(at("2026-02-01T23:30:00")):
        adjust(account_id=account_id, amount=Decimal("-0.5"), reason="=HYPERLINK(\"x\")", by=admin_user)
    return reseller_user.account


def test_running_balance_newest_first(reseller_client, history):
    response = reseller_client.get(reverse("billing:statement"))
    rows = response.context["page"].rows
    assert [e.seq for e in rows] == [3, 2, 1]
    assert [e.balance_after.amount for e in rows] == [Decimal("79.5"), Decimal("80"), Decimal("100")]
    html = response.content.decode()
    for text in ("Date", "Kind", "Description", "DID", "Period", "Amount", "Balance",
                 "2026-01-05 10:00", "DID price", "+1 202-555-0000", "2026-01-05 – 2026-02-02",
                 "-20.0000", "80.0000", "79.5000", "100.0000", "Opening", "1 - 3 of 3 Records"):
        assert text in html, text
    assert "+12025550000" not in html and "12025550000" not in html  # the international format only


def test_date_filter_includes_both_days(reseller_client, history):
    url = reverse("billing:statement")
    seqs = lambda **q: [e.seq for e in reseller_client.get(url, q).context["page"].rows]  # noqa: E731
    assert seqs(date_from="2026-01-02", date_to="2026-01-31") == [2]
    assert seqs(date_from="2026-01-05") == [3, 2]
    assert seqs(date_to="2026-01-05") == [2, 1]
    assert seqs(date_from="2026-02-01", date_to="2026-02-01") == [3]  # 23:30 still counts
    assert seqs(date_from="2026-03-01") == []
    assert "No Records" in reseller_client.get(url, {"date_from": "2026-03-01"}).content.decode()


@pytest.mark.parametrize("query,field,message", [
    ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_to", "The end date is before the start date."),
    ({"date_from": "2026-13-01"}, "date_from", "Enter a valid date."),
    ({"date_to": "yesterday"}, "date_to", "Enter a valid date."),
])
def test_bad_dates_show_an_error_and_filter_nothing(reseller_client, history, query, field, message):
    response = reseller_client.get(reverse("billing:statement"), query)
    assert response.status_code == 200
    assert response.context["filters"].errors[field] == [message]
    assert response.context["page"].total == 3


def test_csv_has_the_same_columns_and_the_filter(reseller_client, history):
    response = reseller_client.get(reverse("billing:statement"), {"format": "csv", "date_to": "2026-01-31"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith(f'attachment; filename="statement-{history.number}-')
    # The DID in E.164, as every CSV writes it; the page shows +1 202-555-0000.
    assert csv_rows(response) == [
        ["Date", "Kind", "Description", "DID", "Period", "Amount", "Balance"],
        ["2026-01-05 10:00:00", "DID price", "DID price", "+12025550000", "2026-01-05 - 2026-02-02", "-20.0000", "80.0000"],
        ["2026-01-01 09:00:00", "Funds added", "Opening", "", "", "100.0000", "100.0000"],
    ]


def test_csv_neutralises_spreadsheet_formulas(reseller_client, history):
    rows = csv_rows(reseller_client.get(reverse("billing:statement"), {"format": "csv"}))
    assert rows[1][1:3] == ["Adjustment", "'=HYPERLINK(\"x\")"]
    assert rows[1][5:] == ["-0.5000", "79.5000"]


def test_csv_ignores_page_and_sort(reseller_client, reseller_user):
    for i in range(30):
        refill(reseller_user.account_id, "1", f"2026-01-01T00:{i:02d}:00")
    rows = csv_rows(reseller_client.get(reverse("billing:statement"), {"format": "csv", "page": "2", "sort": "date"}))
    assert len(rows) == 31 and rows[1][6] == "30.0000" and rows[-1][6] == "1.0000"


def test_pages_and_counter(reseller_client, reseller_user):
    for i in range(30):
        refill(reseller_user.account_id, "1", f"2026-01-01T00:{i:02d}:00")
    response = reseller_client.get(reverse("billing:statement"), {"page": 2})
    assert response.context["page"].counter == "26 - 30 of 30 Records"
    assert [e.seq for e in response.context["page"].rows] == [5, 4, 3, 2, 1]


def test_admin_sees_any_accounts_statement(admin_client, history, customer_user):
    response = admin_client.get(reverse("billing:account_statement", args=[history.pk]))
    assert response.status_code == 200 and response.context["page"].total == 3
    assert "Back to account" in response.content.decode()
    rows = csv_rows(admin_client.get(reverse("billing:account_statement", args=[history.pk]), {"format": "csv"}))
    assert len(rows) == 4
    other = admin_client.get(reverse("billing:account_statement", args=[customer_user.account_id]))
    assert other.context["page"].total == 0 and "No Records" in other.content.decode()
    assert admin_client.get(reverse("billing:account_statement", args=[999999])).status_code == 404


def test_each_account_sees_only_its_own_statement(reseller_client, history, customer_user, client):
    customer = customer_user.account
    refill(customer.pk, "7", "2026-01-03T00:00:00")
    # A reseller asking for another account's statement (even its own customer's) gets 404.
    for query in ({}, {"format": "csv"}):
        assert reseller_client.get(reverse("billing:statement_of", args=[customer.number]), query).status_code == 404
        assert reseller_client.get(reverse("billing:statement_of", args=["0000000000"]), query).status_code == 404
    own = reseller_client.get(reverse("billing:statement_of", args=[history.number]))
    assert own.status_code == 200 and own.context["page"].total == 3
    # The customer sees its own entry only.
    client.force_login(customer_user)
    response = client.get(reverse("billing:statement"))
    assert [e.account_id for e in response.context["page"].rows] == [customer.pk]
    assert client.get(reverse("billing:statement_of", args=[history.number])).status_code == 404
    # The admin's per-account statement is an admin page: 403 for accounts.
    assert client.get(reverse("billing:account_statement", args=[customer.pk])).status_code == 403


def test_admin_has_no_own_statement_and_anonymous_goes_to_login(admin_client, client, reseller_user):
    assert admin_client.get(reverse("billing:statement")).status_code == 403
    client.logout()
    for url in (reverse("billing:statement"), reverse("billing:statement_of", args=[reseller_user.account.number])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_account_nav_has_statement(customer_client):
    html = customer_client.get(reverse("billing:statement")).content.decode()
    assert f'href="{reverse("billing:statement")}">Statement</a>' in html


def _many_entries(account_id, count):
    for i in range(count):
        charge(account_id, "-1", did=DIDFactory(), when=f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00")


@pytest.mark.parametrize("admin_view", [False, True])
def test_query_count_is_the_same_for_3_and_50_rows(request, reseller_user, admin_user, django_assert_max_num_queries,
                                                   admin_view, client):
    account_id = reseller_user.account_id
    refill(account_id, "1000", "2025-12-31T00:00:00")
    _many_entries(account_id, 2)
    if admin_view:
        client.force_login(admin_user)
        url = reverse("billing:account_statement", args=[account_id])
    else:
        client.force_login(reseller_user)
        url = reverse("billing:statement")
    query = {"date_from": "2025-01-01"}
    with django_assert_max_num_queries(5) as small:
        assert len(client.get(url, query).context["page"].rows) == 3
    _many_entries(account_id, 47)
    with django_assert_max_num_queries(5) as large:
        assert len(client.get(url, query).context["page"].rows) == 25
    assert len(small.captured_queries) == len(large.captured_queries)
    # The CSV reads all 50 rows with their DIDs in a fixed number of queries too.
    with django_assert_max_num_queries(5):
        assert len(csv_rows(client.get(url, {"format": "csv"}))) == 51
