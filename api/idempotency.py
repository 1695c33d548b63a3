"""``Idempotency-Key``: a POST that charges is carried out once per key (docs/api.md).

The key is the client's (1-255 visible ASCII characters; a UUID is a good one), scoped to the
token's account. The first request with a key writes an ``IdempotencyKey`` row (the key, a hash
of the request, then its answer) in the same transaction as its purchase: the purchase and its
record commit together or not at all, so a crash cannot charge without recording.

- The same key and the same request again: the first answer (status and JSON, the very bytes),
  with ``Idempotent-Replayed: true``, charging nothing.
- The same key with another request (method, path or body): 422, nothing done.
- Sent again while the first is still running (8 threads at once): the row's unique (account, key)
  makes each later INSERT wait for the first transaction; once it commits they find its row and
  answer its answer. If it rolled back (refused), the next one goes ahead as if first.
- A refused request (422, 409) writes nothing, its key included: the key may be used again.
"""

import hashlib
import json
import re

from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.response import Response

from api.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")

MISSING = "This header is required: a key of your choosing (e.g. a UUID), new for each purchase."
BAD = "Use 1 to 255 visible ASCII characters (no spaces), e.g. a UUID."
REUSED = ("This key was already used with another request. Send a new key for a new purchase; "
          "send the same body to get the first answer again.")


def key_of(request) -> str:
    """The request's Idempotency-Key, or a 422 naming the header."""
    key = request.headers.get(HEADER)
    if key is None or not key.strip():
        raise serializers.ValidationError({HEADER: [MISSING]})
    if not _VALID.match(key):
        raise serializers.ValidationError({HEADER: [BAD]})
    return key


def request_hash(request) -> str:
    """sha256 of the method, the path and the JSON body (parsed, so spacing and key order do not count)."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def purchase_key(account_id: int, key: str) -> str:
    """The service's purchase key for this account's Idempotency-Key (35 characters): the purchase's
    subscriptions carry it, a second line of defence behind the record."""
    return "api" + hashlib.sha256(f"{account_id}\n{key}".encode()).hexdigest()[:32]


def _replay(account_id: int, key: str, digest: str) -> Response | None:
    record = IdempotencyKey.objects.filter(account_id=account_id, key=key).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise serializers.ValidationError({HEADER: [REUSED]})
    return Response(json.loads(record.response), status=record.status, headers={REPLAYED: "true"})


def once(request, account_id: int, act) -> Response:
    """The answer to ``request`` under its Idempotency-Key: the recorded one, or ``act()``'s
    ((status, JSON-able body), run in a transaction with the record; an exception rolls both back)."""
    key = key_of(request)
    digest = request_hash(request)
    answered = _replay(account_id, key, digest)
    if answered is not None:
        return answered
    try:
        with transaction.atomic():
            # Waits here while another request with this key runs; IntegrityError once it has committed.
            record = IdempotencyKey.objects.create(account_id=account_id, key=key, request_hash=digest, status=0)
            status, body = act(purchase_key(account_id, key))
            record.status, record.response = status, json.dumps(body)
            record.save(update_fields=["status", "response"])
    except IntegrityError:
        answered = _replay(account_id, key, digest)
        if answered is None:
            raise
        return answered
    return Response(json.loads(record.response), status=status)
