"""On PostgreSQL, at a realistic size, the list pages' own queries are served by
indexes that match their filter and sort: no page reads the whole table.

20,000 DIDs and 20,000 ledger entries are inserted with one INSERT ... SELECT
generate_series each and ANALYZEd; then each page is requested, its page query
(LIMIT 26 on keyset pages: 25 rows and one to know whether there is a next page;
LIMIT 25 on short lists) is
taken from the queries the request ran, and its EXPLAIN plan is read."""

from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from core.bulk_update import generated_insert_sql
from dids.models import DID
from tests.factories import ProviderFactory

ROWS = 20_000


def _insert_dids(provider_id: int, holder_id: int) -> None:
    expressions = {
        "number": "CASE WHEN mod(g, 4) = 0 THEN '+44' ELSE '+1' END || (2000000000 + g)::text",
        "country": "CASE WHEN mod(g, 4) = 0 THEN 'GB' WHEN mod(g, 4) = 1 THEN 'CA' ELSE 'US' END",
        "provider_id": str(provider_id),
        "city": "'City ' || mod(g, 300)",
        "status": "CASE WHEN mod(g, 50) = 7 THEN 'inactive' ELSE 'active' END",
        "holder_id": f"CASE WHEN mod(g, 20) = 3 THEN {holder_id} END",
        "monthly_fee": "1 + mod(g, 9)::numeric / 4",
        "created_at": "now() - g * interval '1 second'",
        "updated_at": "now()",
    }
    sql, params = generated_insert_sql(DID, expressions, ROWS)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("ANALYZE dids_did")


def _insert_ledger(account_id: int) -> None:
    """A valid chain (the ledger triggers check each entry and, at commit, the balance)."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO billing_ledgerentry (account_id, seq, kind, amount, amount_currency, balance_before,
                balance_before_currency, balance_after, balance_after_currency, description, created_at)
            SELECT %s, g, 'funds_added', 1, 'USD', g - 1, 'USD', g, 'USD', 'Funds added',
                   now() - ({ROWS} - g) * interval '1 minute'
            FROM generate_series(1, {ROWS}) AS g ORDER BY g
        """, [account_id])
        cursor.execute("UPDATE accounts_account SET balance = %s WHERE id = %s", [ROWS, account_id])
        cursor.execute("ANALYZE billing_ledgerentry")


def _page_query_plan(client, url, query=None) -> str:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {})
    assert response.status_code == 200
    pages = [q["sql"] for q in captured if "LIMIT 26" in q["sql"] or "LIMIT 25" in q["sql"]]
    assert len(pages) == 1, (url, query, [q["sql"][:300] for q in captured])
    with connection.cursor() as cursor:
        # Whether an index CAN serve the page, not what the planner prefers for 20,000 rows (where
        # scanning is cheap and statistics left by earlier tests tip it): with scans discouraged, a
        # "Seq Scan" or "Sort" left in the plan means no index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {pages[0]}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _next(client, url, query=None) -> dict:
    links = {link["label"]: link["href"] for link in client.get(url, query or {}).context["page"].links}
    return dict(parse_qsl(links["Next"].lstrip("?")))


@pytest.fixture
def big_tables(settings):
    settings.LIST_EXACT_COUNT_LIMIT = 1_000  # 20,000 rows are "large": keyset pages and estimates
    holder = Account.objects.create(name="Holder", kind=Account.Kind.RESELLER)
    _insert_dids(ProviderFactory(name="Carrier").pk, holder.pk)


@pytest.fixture
def big_ledger(settings, reseller_user):
    settings.LIST_EXACT_COUNT_LIMIT = 1_000
    _insert_ledger(reseller_user.account_id)


@pytest.mark.postgres
def test_did_list_pages_read_their_indexes(admin_client, big_tables):
    url = reverse("dids:list")
    cases = [
        ({}, "dids_did_number"),                                   # the unique index on number
        (_next(admin_client, url), "dids_did_number"),             # a keyset page: a range of the same index
        ({"last": "1"}, "dids_did_number"),                        # read backwards
        ({"country": "GB"}, "did_country_number"),
        ({"country": "GB", "sort": "-number"}, "did_country_number"),
        ({"status": "inactive"}, "did_status_number"),
        ({"sort": "created"}, "did_created"),
        ({"from": "4420000100"}, "dids_did_number"),              # Go to DID
    ]
    # "contains" is left to tests/dids/test_number_search.py: at 20,000 rows the planner may rather
    # walk any small index with a filter than the trigram index, which says nothing about a million.
    for query, indexes in cases:
        plan = _page_query_plan(admin_client, url, query)
        indexes = (indexes,) if isinstance(indexes, str) else indexes
        assert any(i in plan for i in indexes) and "Seq Scan on dids_did" not in plan, (query, plan)


@pytest.mark.postgres
def test_buy_dids_reads_the_pool_index(reseller_client, big_tables):  # reseller_client: under the operator
    url = reverse("resellers:buy")
    # With few DIDs sold the planner may as well read (status, number) and skip the sold ones;
    # the partial pool indexes win as more are sold. Either way: in order, no sort, no scan.
    for query, indexes in [({}, ("did_pool_number", "did_status_number")),
                           (_next(reseller_client, url), ("did_pool_number", "did_status_number")),
                           ({"country": "GB"}, ("did_pool_country_number", "did_pool_number", "did_country_number",
                                              "did_status_number"))]:
        plan = _page_query_plan(reseller_client, url, query)
        assert any(i in plan for i in indexes) and "Seq Scan" not in plan and "Sort" not in plan, (query, plan)


@pytest.mark.postgres
def test_statement_pages_read_the_account_sequence_index(reseller_client, big_ledger):
    url = reverse("billing:statement")
    for query in ({}, _next(reseller_client, url), {"last": "1"}):
        plan = _page_query_plan(reseller_client, url, query)
        assert "ledger_one_entry_per_seq" in plan and "Seq Scan" not in plan and "Sort" not in plan, (query, plan)


@pytest.mark.postgres
def test_large_lists_say_about_with_the_planners_estimate(admin_client, big_tables):
    counter = admin_client.get(reverse("dids:list")).context["page"].counter
    assert counter.startswith("1 - 25 of about ") and counter.endswith(" Records")
    estimate = int(counter.removeprefix("1 - 25 of about ").removesuffix(" Records").replace(",", ""))
    assert 0.8 * ROWS < estimate < 1.2 * ROWS
