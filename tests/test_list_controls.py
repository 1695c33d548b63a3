"""Issue 17: on a list, the counter and the rows-per-page choice above the list as well as
below; the sorted column's header carries aria-sort."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Account
from core.listing import PAGE_SIZES, page_size
from tests.factories import make_account_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def thirty_accounts(db):
    return [make_account_user(Account.Kind.CUSTOMER if i % 2 else Account.Kind.RESELLER).account for i in range(30)]


def _counter(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]*)<', html).group(1)


@pytest.mark.parametrize("asked, used", [("10", 10), ("100", 100), ("25", 25), ("7", 25), ("100000", 25),
                                         ("-10", 25), ("ten", 25), (None, 25)])
def test_only_the_offered_page_sizes_are_used(asked, used):
    request = RequestFactory().get("/", {} if asked is None else {"per_page": asked})
    assert page_size(request, 25) == used
    assert 25 in PAGE_SIZES


def test_counter_above_and_below_and_size_choice(admin_client, thirty_accounts):
    html = admin_client.get(reverse("manage:list")).content.decode()
    assert _counter(html, "records-counter-top") == _counter(html, "records-counter") == "1 - 25 of 30 Records"
    for where in ("top", "bottom"):
        form = re.search(rf'<form method="get"[^>]*data-testid="page-size-{where}">(.*?)</form>', html, re.S).group(1)
        assert f'<label class="small text-muted text-nowrap" for="per-page-{where}">Rows per page</label>' in form
        assert re.findall(r'<option value="(\d+)"', form) == [str(size) for size in PAGE_SIZES]
        assert '<option value="25" selected>' in form


def test_a_chosen_size_keeps_the_search_and_sort_and_starts_again(admin_client, thirty_accounts):
    url = reverse("manage:list")
    html = admin_client.get(url, {"sort": "-name", "kind": "customer", "page": "2", "per_page": "10"}).content.decode()
    assert _counter(html, "records-counter-top") == "11 - 15 of 15 Records"
    form = re.search(r'data-testid="page-size-top">(.*?)</form>', html, re.S).group(1)
    kept = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    assert sorted(kept) == [("kind", "customer"), ("sort", "-name")]  # no page: a new size starts on page 1
    assert '<option value="10" selected>' in form
    # The page links carry the size on.
    assert "per_page=10" in re.search(r'<nav aria-label="Pages".*?</nav>', html, re.S).group(0)
    html = admin_client.get(url, {"per_page": "50"}).content.decode()
    assert _counter(html, "records-counter") == "1 - 30 of 30 Records"


def test_no_size_choice_on_an_empty_list(admin_client):
    html = admin_client.get(reverse("manage:list"), {"q": "nobody-by-this-name"}).content.decode()
    assert _counter(html, "records-counter-top") == "No Records"
    assert "page-size-" not in html


def test_sorted_header_has_aria_sort(admin_client, thirty_accounts):
    url = reverse("manage:list")

    def sorted_headers(**query):
        html = admin_client.get(url, query).content.decode()
        return re.findall(r'<th scope="col"[^>]*aria-sort="(\w+)"[^>]*>\s*<a[^>]*>([^<]+)</a>', html)

    assert sorted_headers() == [("ascending", "Name ▲")]  # the list's default sort
    assert sorted_headers(sort="-balance") == [("descending", "Balance ▼")]
    assert sorted_headers(sort="number") == [("ascending", "Account number ▲")]


@pytest.mark.parametrize("url_name, sort, header", [
    ("dids:list", "-monthly_fee", ("descending", "MonthlyFee ▼")),
    ("dids:provider_list", "name", ("ascending", "Name ▲")),
    ("calls:list", "start", ("ascending", "Start ▲")),
    ("billing:margins", "-margin", ("descending", "Margin / month ▼")),
])
def test_every_sorted_list_of_the_admin_says_its_sort(admin_client, url_name, sort, header):
    html = admin_client.get(reverse(url_name), {"sort": sort}).content.decode()
    assert re.findall(r'<th scope="col"[^>]*aria-sort="(\w+)"[^>]*>\s*<a[^>]*>([^<]+)</a>', html) == [header]
