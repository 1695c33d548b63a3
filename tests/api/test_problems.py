"""Every error of the API is an RFC 9457 problem (api/problems.py): its shape for each status,
the service errors mapped with the pages' own messages, and the type pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from api.problems import PROBLEMS, exception_handler, type_uri
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _probes(settings):
    settings.ROOT_URLCONF = "tests.api.probe_urls"


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == type_uri(code) == f"{body['type'].rsplit('/api/', 1)[0]}/api/problems/{code}"
    assert (body["status"], body["code"], body["title"]) == (status, code, PROBLEMS[code][1])
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"type", "title", "status", "detail", "code", "instance", "errors"}
    return body


def test_400_malformed_json(api_as):
    body = problem(api_as("reseller").client.post("/api/v1/test-raise/x/", "{not json", content_type="application/json",
                                                  HTTP_AUTHORIZATION=f"Bearer {api_as('reseller').secret}"),
                   400, "malformed-request")
    assert "JSON" in body["detail"]


def test_401(people):
    body = problem(Api().get("/api/v1/account/"), 401, "not-authenticated")
    assert body["instance"] == "/api/v1/account/"


def test_403_from_a_rule_of_the_pages(api_as):
    body = problem(api_as("customer").get("/api/v1/test-raise/django-denied/"), 403, "forbidden")
    assert body["detail"] == "This page is for resellers."


def test_404_from_http404_and_from_an_unknown_path(api_as):
    problem(api_as("reseller").get("/api/v1/test-raise/http404/"), 404, "not-found")
    body = problem(api_as("reseller").get("/api/v1/no-such-thing/"), 404, "not-found")
    assert body["instance"] == "/api/v1/no-such-thing/"
    problem(Api().get("/api/v2/account/"), 404, "not-found")  # also without a token


def test_405_with_allow(api_as):
    answer = api_as("reseller").delete("/api/v1/account/")
    problem(answer, 405, "method-not-allowed")
    assert "GET" in answer["Allow"] and "DELETE" not in answer["Allow"]


def test_406_and_415(api_as):
    problem(api_as("reseller").get("/api/v1/account/", HTTP_ACCEPT="text/html"), 406, "not-acceptable")
    api = api_as("reseller")
    answer = api.client.post("/api/v1/test-raise/x/", {"name": "a"}, HTTP_AUTHORIZATION=f"Bearer {api.secret}")
    problem(answer, 415, "unsupported-media-type")  # a form body: JSON only


def test_409_conflict(api_as):
    body = problem(api_as("reseller").get("/api/v1/test-raise/conflict/"), 409, "did-sold")
    assert body["detail"] == "DID +18555801802 was just bought by someone else."


def test_422_for_drf_validation_with_field_errors(api_as):
    body = problem(api_as("reseller").post("/api/v1/test-raise/x/", {"name": "too long", "items": [{"a": 1}, {"a": "x"}]}),
                   422, "validation")
    assert body["errors"] == {"name": ["Ensure this field has no more than 5 characters."],
                              "items.1.a": ["A valid integer is required."]}
    body = problem(api_as("reseller").post("/api/v1/test-raise/x/", {}), 422, "validation")
    assert body["errors"] == {"name": ["This field is required."]}


def test_422_for_a_django_validation_error(api_as):
    body = problem(api_as("reseller").get("/api/v1/test-raise/django-invalid/"), 422, "validation")
    assert body["errors"] == {"number": ["Enter a valid number."]}


def test_422_for_service_errors_with_the_pages_message_and_field(api_as):
    body = problem(api_as("reseller").get("/api/v1/test-raise/catalogue/"), 422, "refused")
    assert (body["detail"], body["errors"]) == ("DID +18555801802 already exists.",
                                                {"number": ["DID +18555801802 already exists."]})
    body = problem(api_as("reseller").get("/api/v1/test-raise/purchase/"), 422, "refused")
    assert (body["detail"], body["errors"]) == ("Your account is suspended and cannot buy DIDs.", {})
    body = problem(api_as("reseller").get("/api/v1/test-raise/rates/"), 422, "refused")
    assert body["errors"] == {"sell_cost_per_min": ["Below your own cost."]}


def test_429_with_retry_after(api_as, settings):
    settings.API_THROTTLE_RATE = "2/min"
    api = api_as("reseller")
    assert [api.get("/api/v1/account/").status_code for _ in range(2)] == [200, 200]
    answer = api.get("/api/v1/account/")
    problem(answer, 429, "throttled")
    assert 1 <= int(answer["Retry-After"]) <= 60


def test_503_when_the_database_gives_up(api_as, monkeypatch):
    from django.db import OperationalError

    class Cause(Exception):
        pgcode = "55P03"

    def busy(*args, **kwargs):
        error = OperationalError("canceling statement due to lock timeout")
        error.__cause__ = Cause()
        raise error

    monkeypatch.setattr("api.views.account.account_of", busy)
    answer = api_as("reseller").get("/api/v1/account/")
    problem(answer, 503, "busy")
    assert answer["Retry-After"] == "5"


def test_an_unknown_exception_is_raised_on_not_hidden():
    assert exception_handler(ZeroDivisionError(), {"request": None}) is None


def test_a_did_sold_a_moment_ago_maps_to_409_with_the_purchase_pages_message(people):
    """The wording the mapping relies on, from the real purchase (billing/subscriptions/purchase.py)."""
    from billing.subscriptions.purchase import PurchaseRefused, purchase_did
    from tests.factories import DIDFactory

    did = DIDFactory(monthly_fee=Decimal("2"))
    purchase_did(buyer_id=people["other"].account_id, did_id=did.pk, purchase_key="first")
    with pytest.raises(PurchaseRefused) as refused:
        purchase_did(buyer_id=people["reseller"].account_id, did_id=did.pk, purchase_key="second")
    response = exception_handler(refused.value, {"request": None})
    assert response.status_code == 409 and response.data["code"] == "did-sold"
    assert response.data["detail"] == str(refused.value) and "just bought by someone else" in str(refused.value)


@pytest.mark.parametrize("code", sorted(PROBLEMS))
def test_each_type_uri_leads_to_a_page_that_explains_it(client, code):
    page = client.get(reverse("api:problem", args=[code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert PROBLEMS[code][1] in html and type_uri(code) in html


def test_an_unknown_type_is_404(client):
    assert client.get(reverse("api:problem", args=["nope"])).status_code == 404


def test_expiry_detail_is_told(people):
    from api.tokens import create_token

    _, secret = create_token(user=people["customer"], name="x", expires_at=timezone.now() + timedelta(seconds=1))
    from api.models import ApiToken

    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert problem(Api(secret).get("/api/v1/account/"), 401, "not-authenticated")["detail"] == "The token has expired."
