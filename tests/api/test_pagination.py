"""The list endpoints' cursor pages (api/pagination.py), on a test-only list of accounts."""

import pytest

from accounts.models import Account
from api.pagination import MAX_LIMIT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _probes(settings):
    settings.ROOT_URLCONF = "tests.api.probe_urls"


def test_pages_follow_next_without_gaps_or_repeats(api_as):
    api = api_as("admin")
    expected = list(Account.objects.order_by("name", "id").values_list("number", flat=True))
    seen, url = [], "/api/v1/test-accounts/?limit=2"
    while url:
        body = api.get(url).json()
        assert set(body) == {"next", "previous", "results"} and len(body["results"]) <= 2
        seen += [row["number"] for row in body["results"]]
        url = body["next"]
        if url:
            Account.objects.create(name="Zz added while paging", kind="customer")  # sorts last, shown once
    assert seen[:len(expected)] == expected and len(seen) == len(set(seen))


def test_limit_is_capped_and_a_bad_cursor_is_404(api_as):
    api = api_as("admin")
    assert api.get(f"/api/v1/test-accounts/?limit={MAX_LIMIT + 100}").status_code == 200
    answer = api.get("/api/v1/test-accounts/?cursor=not-a-cursor")
    assert answer.status_code == 404 and answer.json()["code"] == "not-found"
