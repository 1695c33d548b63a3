"""Delivering: signed as docs/api.md says (its snippet, run here as written), retried after a
receiver's error with backoff, failed 24 hours after the event, never following a redirect, the
answer kept short; a delivery whose task never ran is sent by the sweep; the real task queue
(django-tasks' database backend, ``db_worker``) delivers after the commit."""

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.subscriptions.purchase import purchase_did
from tests.factories import DIDFactory
from tests.webhooks.helpers import funded, hook, key
from webhooks import delivery as sending
from webhooks.models import Delivery, Event

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_verify():
    """The ``verify`` of docs/api.md's Webhooks section, executed exactly as written there."""
    section = DOCS.read_text().split("## Webhooks", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope: dict = {}
    exec(compile(snippet, "docs/api.md", "exec"), scope)  # noqa: S102
    return scope["verify"]


def bought(receiver, statuses=(200,)):
    """A purchase by an account whose endpoint is ``receiver``: (its delivery, the endpoint's secret)."""
    receiver.statuses = list(statuses)
    buyer = funded()
    endpoint, secret = hook(buyer, url=receiver.url, events=["did.purchased"])
    purchase_did(buyer_id=buyer.account.pk, did_id=DIDFactory().pk, purchase_key=key())
    return Delivery.objects.get(endpoint=endpoint), secret


@pytest.mark.django_db
def test_the_signature_verifies_with_the_documented_snippet(receiver):
    delivery, secret = bought(receiver)
    done = sending.attempt(delivery.pk)
    assert done.status == "delivered" and done.last_status_code == 200
    [request] = receiver.received
    verify = documented_verify()
    assert verify(secret, request.headers, request.body)
    assert not verify(secret.replace("_", "-", 1) + "x", request.headers, request.body)  # another secret
    assert not verify(secret, request.headers, request.body.replace(b"did.purchased", b"did.released"))
    stale = dict(request.headers, **{"Webhook-Timestamp": str(int(time.time()) - 3600)})
    assert not verify(secret, stale, request.body)  # a replay an hour later
    body = json.loads(request.body)
    assert request.headers["Webhook-Id"] == body["id"] == str(delivery.event_id)
    assert body["type"] == "did.purchased" and body["account"] == delivery.event.account.number
    assert request.headers["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_a_receiver_error_is_retried_with_backoff_then_delivered(receiver):
    delivery, _ = bought(receiver, statuses=[500, 200])
    now = timezone.now()
    first = sending.attempt(delivery.pk, now)
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert first.last_answer.startswith("answer 500") and len(first.last_answer) == sending.SNIPPET
    assert first.next_attempt_at == now + timedelta(minutes=1)
    assert sending.attempt(delivery.pk, now + timedelta(seconds=30)) is None  # not due yet: nothing sent
    assert len(receiver.received) == 1
    second = sending.attempt(delivery.pk, now + timedelta(minutes=1))
    assert (second.status, second.attempts, second.last_status_code) == ("delivered", 2, 200)
    assert second.next_attempt_at is None
    ids = {r.headers["Webhook-Id"] for r in receiver.received}
    assert ids == {str(delivery.event_id)}  # the same id on the retry: the receiver de-duplicates on it


@pytest.mark.django_db
def test_backoff_grows_and_the_delivery_fails_24_hours_after_the_event(receiver):
    delivery, _ = bought(receiver, statuses=[503])
    start = Event.objects.get().created_at
    at, waits = start, []
    while True:
        done = sending.attempt(delivery.pk, at)
        if done.status != "pending":
            break
        waits.append(done.next_attempt_at - at)
        at = done.next_attempt_at
    assert waits[:5] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                         timedelta(hours=6)]
    assert done.status == "failed" and done.next_attempt_at is None
    assert at <= start + timedelta(hours=24) < at + timedelta(hours=6)  # the last try within the 24 hours
    assert done.attempts == len(receiver.received) == len(waits) + 1
    assert not sending.due(at + timedelta(days=1)).exists()


@pytest.mark.django_db
def test_a_redirect_is_an_answer_not_followed_and_no_answer_is_an_error(receiver):
    delivery, _ = bought(receiver, statuses=[302])
    done = sending.attempt(delivery.pk)
    assert (done.status, done.last_status_code) == ("pending", 302)
    assert len(receiver.received) == 1  # the Location was not requested
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    receiver.stop()  # nobody answers any more
    done = sending.attempt(delivery.pk)
    assert done.status == "pending" and done.last_status_code is None and done.last_error


@pytest.mark.django_db
def test_a_delivery_whose_task_never_ran_is_sent_by_the_sweep(receiver):
    """The worker died (or the process ended between the commit and the hand-over): the row is
    there, due, and ``deliver_webhooks`` sends it."""
    delivery, _ = bought(receiver)  # in a test transaction: no task was ever queued
    assert list(sending.due()) == [delivery]
    call_command("deliver_webhooks", verbosity=0)
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.received) == 1
    call_command("deliver_webhooks", verbosity=0)  # nothing due: nothing sent again
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_worker_that_died_mid_attempt_leaves_it_due_a_minute_later(receiver):
    delivery, _ = bought(receiver)
    now = timezone.now()
    assert sending._hold(delivery.pk, now)  # a worker took it, then died before its answer was written
    assert sending.sweep(now + timedelta(seconds=30))["delivered"] == 0  # held: not sent twice at once
    assert sending.sweep(now + sending.HOLD)["delivered"] == 1
    assert len(receiver.received) == 1


@pytest.mark.django_db(transaction=True)
def test_the_task_queue_delivers_after_the_commit(receiver, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    from django_tasks_db.models import DBTaskResult

    delivery, secret = bought(receiver)
    assert DBTaskResult.objects.count() == 1  # queued by the commit's hook
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    [request] = receiver.received
    assert documented_verify()(secret, request.headers, request.body)


@pytest.mark.django_db
def test_old_events_with_nothing_left_to_send_are_pruned(receiver):
    sent, _ = bought(receiver)
    sending.attempt(sent.pk)
    waiting, _ = bought(receiver)
    Event.objects.update(created_at=timezone.now() - timedelta(days=40))
    call_command("deliver_webhooks", "--prune-days", "30", "--limit", "0", verbosity=0)
    assert list(Event.objects.all()) == [waiting.event]  # a pending one is kept until it is sent or failed
    assert list(Delivery.objects.all()) == [waiting]
