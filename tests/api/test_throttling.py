"""Per-token throttling (api/throttling.py): API_THROTTLE_RATE per token and window, counted in
the database, 429 with Retry-After, each token its own count, a new window starts again."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest

from api import throttling
from api.models import ApiRequestCount, ApiToken

pytestmark = pytest.mark.django_db
ACCOUNT = "/api/v1/account/"


def test_over_the_rate_is_429_and_other_tokens_are_not_counted(api_as, settings):
    settings.API_THROTTLE_RATE = "3/min"
    reseller, customer = api_as("reseller"), api_as("customer")
    assert [reseller.get(ACCOUNT).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = reseller.get(ACCOUNT)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert customer.get(ACCOUNT).status_code == 200  # its own count


def test_requests_without_a_token_are_not_counted(api_as, settings):
    from tests.api.conftest import Api

    settings.API_THROTTLE_RATE = "1/min"
    for _ in range(3):
        assert Api().get(ACCOUNT).status_code == 401
        assert Api().get("/api/v1/schema/").status_code == 200
    assert not ApiRequestCount.objects.exists()


def test_the_window_counts_again_from_its_start_and_old_windows_go(people, secrets_of, settings):
    settings.API_THROTTLE_RATE = "2/hour"
    token = ApiToken.objects.get(user=people["reseller"])
    t0 = datetime(2026, 12, 6, 10, 0, 5, tzinfo=dt_timezone.utc)
    assert throttling.count(token.pk, now=t0)[0] == 1
    hits, left = throttling.count(token.pk, now=t0 + timedelta(minutes=10))
    assert hits == 2 and left == pytest.approx(3600 - 605)
    assert throttling.count(token.pk, now=t0 + timedelta(minutes=59))[0] == 3  # over: the view refuses it
    assert throttling.count(token.pk, now=t0 + timedelta(hours=1))[0] == 1  # the next window
    assert ApiRequestCount.objects.filter(token=token).count() == 1  # the old window deleted


@pytest.mark.parametrize("rate, expected", [("120/min", (120, 60)), ("5/sec", (5, 1)), ("1000/day", (1000, 86400))])
def test_the_rate_setting(settings, rate, expected):
    settings.API_THROTTLE_RATE = rate
    assert throttling.rate() == expected
