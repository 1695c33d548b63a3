"""Delivering events: a POST of the event's JSON to each endpoint, signed, retried with backoff
for 24 hours, by the task queue's workers (django-tasks, database backend: ``manage.py
db_worker``) and by the sweep (``manage.py deliver_webhooks``, run by a timer).

The request: ``Content-Type: application/json``; ``Webhook-Id`` (the event's UUID, the same on
every retry and for every endpoint: de-duplicate on it), ``Webhook-Timestamp`` (Unix seconds),
``Webhook-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret>``
(docs/api.md has the receiver's check). A 2xx answer delivers it; anything else (another status,
a redirect, which is never followed, a timeout of 5 s, a refused connection) is retried after 1
min, 5 min, 30 min, 2 h, then every 6 h, until 24 h after the event; then it has failed. Re-send
from the Webhooks page tries once more at once.

At least once: a worker holds a delivery by moving its ``next_attempt_at`` a minute on (one
conditional UPDATE, so a task and the sweep never send it at the same time); a worker that dies
mid-attempt leaves it due again after that minute, and the sweep sends it.
"""

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from webhooks.addresses import guarded_connection
from webhooks.models import Delivery, Event

log = logging.getLogger(__name__)

TIMEOUT = 5  # seconds, to connect and for each read
SNIPPET = 500  # characters of the receiver's answer kept
LIFETIME = timedelta(hours=24)  # retried until this long after the event
HOLD = timedelta(minutes=1)  # a worker's hold on a delivery it is sending (> TIMEOUT, with room)
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=6)]  # after the 1st, 2nd... failed attempt; the last one repeats
PER_TASK = 100  # deliveries handed to one task
USER_AGENT = "DID-portal-webhooks/1"


def body_of(event: Event) -> bytes:
    """The JSON sent: the event's id, type, time, the account it is about (its number; null: the
    operator) and its data."""
    account = event.account.number if event.account_id else None
    return json.dumps({"id": str(event.id), "type": event.type, "created_at": event.created_at.isoformat(),
                       "account": account, "data": event.payload}, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The Webhook-Signature header's value."""
    signed = timestamp.encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is the receiver's answer, not followed


class _GuardedHTTPConnection(http.client.HTTPConnection):
    """Connects only to a checked address of the host (webhooks/addresses.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    """The same, with TLS verified for the host's name as usual."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_connection


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


_opener = urllib.request.build_opener(_NoRedirects, _GuardedHTTPHandler, _GuardedHTTPSHandler)


def post(url: str, secret: str, event_id: str, body: bytes) -> tuple[int | None, str, str]:
    """POST ``body`` signed: (status code or None, the start of the answer, the error if no answer)."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": USER_AGENT, "Webhook-Id": event_id,
        "Webhook-Timestamp": timestamp, "Webhook-Signature": signature(secret, timestamp, body)})
    try:
        with _opener.open(request, timeout=TIMEOUT) as answer:
            return answer.status, _snippet(answer), ""
    except urllib.error.HTTPError as answer:
        return answer.code, _snippet(answer), ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, "", (str(reason) or type(reason).__name__)[:SNIPPET]


def _snippet(answer) -> str:
    try:
        return answer.read(SNIPPET * 4).decode("utf-8", "replace")[:SNIPPET]
    except OSError:
        return ""


def _hold(delivery_id: int, now) -> bool:
    """Take the delivery if it is pending and due: True when this worker sends it now."""
    return Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now) \
        .update(next_attempt_at=now + HOLD) == 1


def attempt(delivery_id: int, now=None) -> Delivery | None:
    """One attempt of a due delivery (None: not due, or another worker has it)."""
    now = now or timezone.now()
    if not _hold(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("endpoint", "event", "event__account").get(pk=delivery_id)
    endpoint = delivery.endpoint
    delivery.attempts += 1
    delivery.last_attempt_at = now
    if not endpoint.active:
        code, answer, error = None, "", "The endpoint is disabled."
    else:
        code, answer, error = post(endpoint.url, endpoint.secret, str(delivery.event_id), body_of(delivery.event))
    delivery.last_status_code, delivery.last_answer, delivery.last_error = code, answer, error
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = Delivery.Status.DELIVERED, now, None
    else:
        due = now + backoff(delivery.attempts)
        if not endpoint.active or due > delivery.event.created_at + LIFETIME:
            delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
        else:
            delivery.next_attempt_at = due
    delivery.save(update_fields=["attempts", "last_attempt_at", "last_status_code", "last_answer", "last_error",
                                 "status", "delivered_at", "next_attempt_at"])
    if delivery.status == Delivery.Status.PENDING:
        enqueue([delivery.pk], run_after=delivery.next_attempt_at)
    return delivery


@task()
def deliver(delivery_ids: list[int]) -> dict:
    """The queue's task: one attempt of each delivery that is due."""
    done = {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0}
    for delivery_id in delivery_ids:
        delivery = attempt(delivery_id)
        key = "skipped" if delivery is None else {"delivered": "delivered", "failed": "failed"}.get(
            delivery.status, "retry")
        done[key] += 1
    return done


def enqueue(delivery_ids: list[int], run_after=None) -> None:
    """Hand deliveries to the task queue. A queue that refuses loses nothing: the sweep sends them."""
    for start in range(0, len(delivery_ids), PER_TASK):
        chunk = delivery_ids[start:start + PER_TASK]
        try:
            (deliver.using(run_after=run_after) if run_after else deliver).enqueue(chunk)
        except Exception:  # noqa: BLE001  (the rows are there; the sweep delivers them)
            log.exception("webhook deliveries %s not queued; the sweep will send them", chunk)


def due(now=None):
    now = now or timezone.now()
    return Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)


def sweep(now=None, limit: int = 1000) -> dict:
    """Send every due delivery here (``manage.py deliver_webhooks``): those whose task never ran
    (a crash after the commit, a queue that was down) and those a dead worker held. ``now``: a
    fixed clock (tests); otherwise each attempt reads the time it starts at."""
    done = {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0}
    for delivery_id in list(due(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        delivery = attempt(delivery_id, now)
        key = "skipped" if delivery is None else {"delivered": "delivered", "failed": "failed"}.get(
            delivery.status, "retry")
        done[key] += 1
    return done


def prune(days: int, now=None) -> int:
    """Delete the events older than ``days`` with nothing left to send (their deliveries go with
    them). Returns how many events were deleted."""
    old = Event.objects.filter(created_at__lt=(now or timezone.now()) - timedelta(days=days)).exclude(
        deliveries__status=Delivery.Status.PENDING)
    return Event.objects.filter(pk__in=old.values("pk")).delete()[1].get(Event._meta.label, 0)


def resend(delivery: Delivery, *, by=None) -> None:
    """Re-send from the Webhooks page: pending and due now (a failed one gets one more attempt;
    another failure after the 24 hours fails it again), handed to the queue after the commit."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.PENDING, next_attempt_at=timezone.now())
        transaction.on_commit(lambda: enqueue([delivery.pk]))
