"""The Webhooks page: add an endpoint (the secret shown once), its deliveries, Re-send (POST),
disable and delete behind a confirmation; another account's endpoint or delivery is 404; a bad
URL is told next to its field."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from billing.subscriptions.purchase import purchase_did
from tests.factories import DIDFactory, make_admin
from tests.webhooks.helpers import funded, hook, key
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.PortalBackend")
    return client


def test_add_an_endpoint_shows_the_secret_once_and_lists_it():
    user = funded()
    client = client_of(user)
    answer = client.post(reverse("webhooks:create"), {"url": "https://hooks.example.com/did",
                                                      "events": ["did.purchased", "did.released"]})
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    endpoint = Endpoint.objects.get()
    assert endpoint.account_id == user.account.pk and endpoint.event_types == ["did.purchased", "did.released"]
    assert endpoint.secret in answer.content.decode()
    listing = client.get(reverse("webhooks:list")).content.decode()
    assert "https://hooks.example.com/did" in listing and endpoint.secret not in listing
    assert endpoint.secret not in client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert AuditEntry.objects.filter(action="webhook.created", account=user.account).exists()


def test_an_admin_adds_the_operators_endpoints():
    admin = make_admin()
    client_of(admin).post(reverse("webhooks:create"), {"url": "https://ops.example.com/h", "events": ["did.purchased"]})
    assert Endpoint.objects.get().account_id is None


@pytest.mark.parametrize("url, message", [
    ("http://hooks.example.com/did", "The URL must start with https://."),
    ("https://10.0.0.7/hooks", "Enter a public address"),
    ("ftp://hooks.example.com/", "Enter a valid URL"),
])
def test_a_bad_url_is_told_next_to_its_field(settings, url, message):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = False
    answer = client_of(funded()).post(reverse("webhooks:create"), {"url": url, "events": ["did.released"]})
    assert answer.status_code == 200 and not Endpoint.objects.exists()
    assert message in " ".join(answer.context["form"].errors["url"])


def test_no_event_chosen_is_told_next_to_its_field():
    answer = client_of(funded()).post(reverse("webhooks:create"), {"url": "https://hooks.example.com/"})
    assert "events" in answer.context["form"].errors and not Endpoint.objects.exists()


def test_local_http_only_where_allowed(settings):
    user = funded()
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = True
    client_of(user).post(reverse("webhooks:create"), {"url": "http://127.0.0.1:8031/h", "events": ["did.released"]})
    assert Endpoint.objects.count() == 1


def deliveries_of(user):
    endpoint, _ = hook(user)
    purchase_did(buyer_id=user.account.pk, did_id=DIDFactory().pk, purchase_key=key())
    return endpoint, Delivery.objects.get(endpoint=endpoint)


def test_the_endpoint_page_lists_deliveries_and_resends_one(django_capture_on_commit_callbacks):
    user = funded()
    endpoint, delivery = deliveries_of(user)
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=9, next_attempt_at=None,
                                                   last_status_code=500, last_answer="receiver down")
    client = client_of(user)
    page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "did.purchased" in page and str(delivery.event_id) in page and "receiver down" in page
    assert client.get(reverse("webhooks:resend", args=[delivery.pk])).status_code == 405  # no change by GET
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(reverse("webhooks:resend", args=[delivery.pk]))
    assert answer.status_code == 302 and answer["Location"] == reverse("webhooks:detail", args=[endpoint.pk])
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.next_attempt_at <= timezone.now()
    assert len(queued) == 1  # handed to the task queue after the commit
    assert AuditEntry.objects.filter(action="webhook.resent").count() == 1


def test_another_accounts_endpoint_and_delivery_are_404():
    owner, other = funded(), funded()
    endpoint, delivery = deliveries_of(owner)
    client = client_of(other)
    for name, pk in (("detail", endpoint.pk), ("toggle", endpoint.pk), ("delete", endpoint.pk)):
        assert client.get(reverse(f"webhooks:{name}", args=[pk])).status_code == 404
        assert client.post(reverse(f"webhooks:{name}", args=[pk])).status_code == 404
    assert client.post(reverse("webhooks:resend", args=[delivery.pk])).status_code == 404
    assert client_of(make_admin()).post(reverse("webhooks:resend", args=[delivery.pk])).status_code == 404
    assert Endpoint.objects.get().active and Delivery.objects.get().status == "pending"


def test_disable_and_delete_ask_first():
    user = funded()
    endpoint, _ = deliveries_of(user)
    client = client_of(user)
    assert "Disable the endpoint" in client.get(reverse("webhooks:toggle", args=[endpoint.pk])).content.decode()
    assert Endpoint.objects.get().active
    client.post(reverse("webhooks:toggle", args=[endpoint.pk]))
    assert not Endpoint.objects.get().active
    purchase_did(buyer_id=user.account.pk, did_id=DIDFactory().pk, purchase_key=key())
    assert Delivery.objects.count() == 1  # a disabled endpoint gets no new deliveries
    client.post(reverse("webhooks:toggle", args=[endpoint.pk]))
    assert Endpoint.objects.get().active
    assert "cannot be undone" in client.get(reverse("webhooks:delete", args=[endpoint.pk])).content.decode()
    assert client.post(reverse("webhooks:delete", args=[endpoint.pk]))["Location"] == reverse("webhooks:list")
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
