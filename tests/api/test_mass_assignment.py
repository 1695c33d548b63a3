"""Mass assignment, decided once (api/serializers.py StrictMixin): a field a serializer cannot
set (unknown or read-only: balance, status, number...) is 422 with the field named, never
silently ignored. And /account/ takes no write at all."""

import pytest

from accounts.models import Account
from api.serializers import NOT_SETTABLE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _probes(settings):
    settings.ROOT_URLCONF = "tests.api.probe_urls"


def test_a_read_only_or_unknown_field_is_422_and_named(api_as):
    answer = api_as("reseller").post("/api/v1/test-raise/x/", {"name": "ok", "number": "+1", "balance": "999999",
                                                               "status": "active"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"balance": [NOT_SETTABLE], "number": [NOT_SETTABLE], "status": [NOT_SETTABLE]}
    assert api_as("reseller").post("/api/v1/test-raise/x/", {"name": "ok"}).json() == {"name": "ok"}


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_the_account_takes_no_write(people, api_as, method):
    before = list(Account.objects.order_by("pk").values())
    body = {"balance": "999999.0000", "credit_limit": "999999", "status": "suspended", "name": "hijacked",
            "kind": "reseller", "parent": people["other"].account_id, "number": "0000000001"}
    answer = getattr(api_as("customer"), method)("/api/v1/account/", body)
    assert answer.status_code == 405 and answer.json()["code"] == "method-not-allowed"
    assert list(Account.objects.order_by("pk").values()) == before
