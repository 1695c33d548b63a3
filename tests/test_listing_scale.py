"""Lists that stay fast at a million rows (core/listing.py): counts that
stop at a limit, keyset pages (Next / Previous / Last / Go to) that walk the whole
list in order, honest counter text, and query budgets that do not grow with rows.

The exact-count limit is lowered to 20 rows here so that a few dozen rows behave
like a million: on SQLite the count stays exact, on PostgreSQL the counter shows
the planner's estimate ("about N" or "more than 20").
"""

import re
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.urls import reverse

from core.listing import ListPage
from dids.models import DID
from tests.billing.test_statement import refill
from tests.factories import DIDFactory

LIMIT = 20
LARGE_COUNTER = re.compile(r"^(about )?[\d,]+ - [\d,]+ of (about [\d,]+|more than [\d,]+|[\d,]+) Records$")


@pytest.fixture
def small_limit(settings):
    settings.LIST_EXACT_COUNT_LIMIT = LIMIT


def _links(response) -> dict[str, str]:
    return {link["label"]: link["href"] for link in response.context["page"].links if not link["disabled"]}


def _follow(client, url, href):
    return client.get(url, dict(parse_qsl(href.lstrip("?"))))


def _walk(client, url, start_query, direction):
    """Rows of every page from ``start_query`` following ``direction`` (Next or Previous) links."""
    response = client.get(url, start_query)
    pages = [response]
    while direction in _links(response):
        response = _follow(client, url, _links(response)[direction])
        pages.append(response)
        assert len(pages) < 50
    return pages


# --- counter text --------------------------------------------------------------

def test_counter_of_an_estimated_total_says_about():
    page = ListPage(rows=[1] * 25, number=1, per_page=25, total=1_000_000, sort="number", estimated=True,
                    at_least=10_001, position=1, keyset=True, more_after=True)
    assert page.counter == "1 - 25 of about 1,000,000 Records"


def test_an_estimate_below_the_counted_rows_is_never_shown():
    page = ListPage(rows=[1] * 25, number=1, per_page=25, total=4_000, sort="number", estimated=True,
                    at_least=10_001, position=1, keyset=True, more_after=True)
    assert page.counter == "1 - 25 of more than 10,000 Records"
    deep = ListPage(rows=[1] * 25, number=1, per_page=25, total=12_000, sort="number", estimated=True,
                    at_least=10_001, position=20_001, keyset=True, more_after=True)
    assert deep.counter == "20,001 - 20,025 of more than 20,025 Records"


def test_estimated_positions_say_about_and_unknown_ones_say_last():
    last = ListPage(rows=[1] * 25, number=1, per_page=25, total=1_000_000, sort="number", estimated=True,
                    at_least=10_001, position=999_976, position_estimated=True, keyset=True, more_after=False)
    assert last.counter == "about 999,976 - 1,000,000 of about 1,000,000 Records"
    unknown = ListPage(rows=[1] * 25, number=1, per_page=25, total=5_000, sort="number", estimated=True,
                       at_least=10_001, position=None, keyset=True, more_after=False, more_before=True)
    assert unknown.counter == "Last 25 of more than 10,000 Records"


# --- keyset pages on the admin's DID list ---------------------------------------------

def test_short_lists_keep_page_numbers_and_exact_counts(admin_client, db):
    DIDFactory.create_batch(30)
    response = admin_client.get(reverse("dids:list"))
    page = response.context["page"]
    assert page.counter == "1 - 25 of 30 Records" and not page.keyset
    assert _links(response)["Next"] == "?page=2" and page.info == "Page 1 of 2"


@pytest.mark.parametrize("sort", ["number", "-number", "country", "-city", "monthly_fee", "created"])
def test_next_and_previous_walk_the_whole_list_in_order(admin_client, small_limit, sort):
    for i in range(63):
        DIDFactory(country=["US", "GB", "DE"][i % 3], city=f"City {i % 7}", monthly_fee=str(i % 5))
    url = reverse("dids:list")
    expected = _ordered(sort)
    forward = _walk(admin_client, url, {"sort": sort}, "Next")
    assert [d.pk for r in forward for d in r.context["page"].rows] == expected
    assert [r.context["page"].start for r in forward] == [1, 26, 51]
    assert all(r.context["page"].keyset for r in forward)
    if connection.vendor == "sqlite":
        assert forward[0].context["page"].counter == "1 - 25 of 63 Records"
        assert forward[-1].context["page"].counter == "51 - 63 of 63 Records"
    for r in forward:
        assert LARGE_COUNTER.match(r.context["page"].counter), r.context["page"].counter
    # Last reads the list backwards; Previous from there walks back to the first row.
    backward = _walk(admin_client, url, {"sort": sort, "last": "1"}, "Previous")
    assert [d.pk for r in reversed(backward) for d in r.context["page"].rows][-25:] == expected[-25:]
    seen = [d.pk for r in reversed(backward) for d in r.context["page"].rows]
    assert seen[:25] == expected[:25] and set(seen) == set(expected)
    assert backward[-1].context["page"].start == 1


def _ordered(sort):
    from dids.views import DID_SORTS

    key = sort.removeprefix("-")
    fields = list(DID_SORTS[key]) + ["pk"]
    order = [f"-{f}" if sort.startswith("-") else f for f in fields]
    return list(DID.objects.order_by(*order).values_list("pk", flat=True))


def test_last_page_counts_from_the_end(admin_client, small_limit):
    DIDFactory.create_batch(60)
    page = admin_client.get(reverse("dids:list"), {"last": "1"}).context["page"]
    assert [d.number for d in page.rows] == list(DID.objects.order_by("number").values_list("number", flat=True))[-25:]
    assert not page.has_next and page.has_previous
    if connection.vendor == "sqlite":
        assert page.counter == "36 - 60 of 60 Records"
    else:
        assert page.counter.startswith(("about ", "Last 25 of more than 20"))


def test_go_to_a_typed_number_starts_the_page_there(admin_client, small_limit):
    DIDFactory.create_batch(60)
    numbers = list(DID.objects.order_by("number").values_list("number", flat=True))
    target = numbers[40]
    response = admin_client.get(reverse("dids:list"), {"from": target.lstrip("+")})
    page = response.context["page"]
    assert [d.number for d in page.rows] == numbers[40:60]
    if connection.vendor == "sqlite":
        assert page.start == 41 and page.counter == "41 - 60 of 60 Records"
    else:  # 40 rows before it: more than the limit, so PostgreSQL's estimate of them
        assert page.position_estimated and page.counter.startswith("about ")
    assert 'name="from"' in response.content.decode() and "Go to DID" in response.content.decode()
    # Previous from there is the 25 rows before it.
    previous = _follow(admin_client, reverse("dids:list"), _links(response)["Previous"]).context["page"]
    assert [d.number for d in previous.rows] == numbers[15:40]
    # A number past the end shows the last page.
    assert admin_client.get(reverse("dids:list"), {"from": "99999"}).context["page"].rows[-1].number == numbers[-1]


def test_filters_and_sort_survive_paging_and_bad_cursors_show_the_first_page(admin_client, small_limit):
    for i in range(80):
        DIDFactory(country="US" if i % 2 else "GB")
    url = reverse("dids:list")
    response = admin_client.get(url, {"country": "US", "sort": "-number"})
    query = dict(parse_qsl(_links(response)["Next"].lstrip("?")))
    assert query["country"] == "US" and query["sort"] == "-number" and "after" in query
    page2 = admin_client.get(url, query).context["page"]
    assert page2.rows and all(d.country.code == "US" for d in page2.rows)
    assert page2.rows[0].number < response.context["page"].rows[-1].number
    # A cursor made for another sort, or garbage, is ignored: the first page.
    first = response.context["page"].rows
    for bad in ({**query, "sort": "number"}, {**query, "after": "garbage!"}, {**query, "after": "e30"}):
        rows = admin_client.get(url, bad).context["page"].rows
        expected = first if bad.get("sort") == "-number" else list(
            DID.objects.filter(country="US").order_by("number")[:25])
        assert [d.pk for d in rows] == [d.pk for d in expected]
    # Page numbers still work, but never past the limit (OFFSET stays cheap).
    assert admin_client.get(url, {"page": "999"}).context["page"].start <= LIMIT


def test_did_list_queries_do_not_grow_with_rows(admin_client, small_limit, reseller_user, django_assert_max_num_queries):
    # session, user, capped count, estimate (PostgreSQL only), page, the page's suspended holders.
    counts = []
    for batch in (30, 90):
        DIDFactory.create_batch(batch, holder=reseller_user.account)
        first = admin_client.get(reverse("dids:list"))
        for query in ({}, dict(parse_qsl(_links(first)["Next"].lstrip("?"))), {"last": "1"}, {"country": "US"}):
            with django_assert_max_num_queries(6 if connection.vendor == "sqlite" else 7) as captured:
                admin_client.get(reverse("dids:list"), query)
            counts.append(len(captured.captured_queries))
    assert counts[:4] == counts[4:]


# --- Buy DIDs and statements -----------------------------------------------------------

def test_buy_dids_pages_with_cursors_and_a_fixed_query_count(reseller_client, small_limit,
                                                              django_assert_max_num_queries):
    DIDFactory.create_batch(70)
    url = reverse("resellers:buy")
    counts = []
    pages = []
    response = reseller_client.get(url)
    while True:
        pages.append([d.number for d in response.context["page"].rows])
        if "Next" not in _links(response):
            break
        with django_assert_max_num_queries(8) as captured:
            response = _follow(reseller_client, url, _links(response)["Next"])
        counts.append(len(captured.captured_queries))
    assert sum(pages, []) == list(DID.objects.order_by("number").values_list("number", flat=True))
    assert len(set(counts)) == 1
    assert "Go to DID" in response.content.decode()


def test_statement_oldest_page_by_last_and_a_fixed_query_count(reseller_client, reseller_user, small_limit,
                                                               django_assert_max_num_queries):
    for i in range(60):
        refill(reseller_user.account_id, "1", f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00")
    url = reverse("billing:statement")
    with django_assert_max_num_queries(6) as first:
        response = reseller_client.get(url)
    assert [e.seq for e in response.context["page"].rows] == list(range(60, 35, -1))
    with django_assert_max_num_queries(6) as oldest:
        last = _follow(reseller_client, url, _links(response)["Last"])
    assert [e.seq for e in last.context["page"].rows] == list(range(25, 0, -1))
    assert len(first.captured_queries) == len(oldest.captured_queries)
    middle = _follow(reseller_client, url, _links(response)["Next"]).context["page"]
    assert [e.seq for e in middle.rows] == list(range(35, 10, -1)) and middle.start == 26
