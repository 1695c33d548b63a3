"""Webhooks from the page to the receiver: a reseller adds an endpoint (its secret shown once),
buys 3 numbers with Buy several, the task worker delivers 3 signed events to a real local
receiver (the first answered 500), the endpoint's page shows each delivery, and Re-send sends
one again with the same Webhook-Id."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Account
from billing.ledger.funds import add_funds
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import documented_verify
from webhooks.models import Delivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = True
    running = Receiver(statuses=[500, 200]).start()
    yield running
    running.stop()


def test_add_an_endpoint_buy_three_and_see_them_delivered(page, default_provider, receiver):
    user = make_account_user(kind=Account.Kind.RESELLER)
    add_funds(account_id=user.account_id, amount=Decimal("100"))
    dids = [DIDFactory(number=f"+1855580180{i}", setup_fee="1", monthly_fee="10") for i in range(3)]
    browser_login(page, user.username, PASSWORD)
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_test_id("add-webhook").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("did.purchased: A DID was bought").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_test_id("webhook-secret").input_value()
    assert secret.startswith("whsec_")

    page.goto("/portal/dids/buy/")
    for did in dids:
        page.get_by_label(f"Buy {did.shown}").check()
    page.get_by_role("button", name="Buy checked").click()
    page.get_by_role("button", name="Buy all").click()
    page.wait_for_url("**/portal/dids/")

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)  # the worker sends them
    assert len(receiver.received) == 3
    verify = documented_verify()
    assert all(verify(secret, r.headers, r.body) for r in receiver.received)
    failed_first = Delivery.objects.get(last_status_code=500)
    assert Delivery.objects.filter(status="delivered").count() == 2

    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="Deliveries").click()
    rows = page.get_by_test_id("webhook-deliveries").locator("tbody tr")
    assert rows.count() == 3
    assert "answer 500" in page.content() and page.get_by_text("Delivered").count() == 2
    rows.filter(has_text=str(failed_first.event_id)).get_by_role("button", name="Re-send").click()
    assert "is being sent again" in page.content()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    failed_first.refresh_from_db()
    assert failed_first.status == "delivered" and failed_first.attempts == 2
    assert receiver.received[-1].headers["Webhook-Id"] == str(failed_first.event_id)
    page.reload()
    assert page.get_by_text("Delivered").count() == 3
