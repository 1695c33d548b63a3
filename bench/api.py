"""The REST API beside the services it calls: POST /api/v1/purchases/ (one DID per purchase, a new
Idempotency-Key each) beside billing.subscriptions.buy_numbers.buy_numbers called directly, a replay
of a key beside nothing (it charges nothing), and GET /api/v1/available-dids/ (a page of 50, and a
searched page) beside billing.subscriptions.offers.offers reading the same page.

In-process (django.test.Client: the whole Django and DRF stack, bearer token, per-token throttle
upsert, idempotency record, JSON), one client after another: what the API adds to each call,
not a server's concurrency (bench/purchase.py and bench/load.py measure those)."""

import uuid
from decimal import Decimal

from django.db import connection
from django.test import Client, override_settings

from accounts.models import Account, User
from api.models import IdempotencyKey
from api.tokens import create_token
from bench import data
from bench.common import percentile, sized, timed_ms
from billing.ledger.posting import ledger_sum
from billing.models import Subscription
from billing.subscriptions.buy_numbers import buy_numbers
from billing.subscriptions.offers import offers
from dids.models import DID

# pool: DIDs in the operator's pool; purchases: per side; lists: requests per list; warmup: untimed calls first.
SIZES = {
    "full": {"pool": 200_000, "purchases": 1000, "lists": 300, "warmup": 20},
    "tiny": {"pool": 300, "purchases": 8, "lists": 4, "warmup": 2},
}
SETUP_FEE, PRICE = Decimal("1.0000"), Decimal("2.5000")
FULL = SIZES["full"]
TITLE = "API: purchases and available DIDs vs the same services called directly"
NOTES = (
    f"One buyer under the operator, a pool of {FULL['pool']:,} DIDs. *purchase*: {FULL['purchases']:,} purchases of "
    "one DID each through `POST /api/v1/purchases/` (bearer token, throttle counter, Idempotency-Key record, "
    "problem/JSON rendering, in-process with django.test.Client) beside as many `buy_numbers` calls (the service "
    "the endpoint calls: quote, total check, purchase_many). *replay*: the same key and body again: the recorded "
    "answer, nothing charged (beside it: nothing). *GET /api/v1/account/*: a request that reads no more than the "
    f"token's own login, the floor of every API call in-process. *available-dids*: {FULL['lists']} requests of a "
    "page of 50 by number (the first page; a search by prefix and price) beside `offers(...)[:51]` read directly (the query the "
    "endpoint pages). p50/p95 per call; *API/service* is the ratio of the p50s. Sequential: the API's cost per "
    "call, not concurrency (see bench/purchase.py, bench/load.py)."
)
# Every request counts against the token's rate: high enough never to answer 429 here, still counted.
UNTHROTTLED = "1000000/sec"


def _buyer(n) -> tuple[Account, User, str]:
    account_id = data.funded_accounts(1, 3 * n.purchases * (SETUP_FEE + PRICE) + 1000, prefix="api buyer")[0]
    account = Account.objects.get(pk=account_id)
    user = User.objects.create(username=f"api-bench-{account.number}", account=account)
    return account, user, create_token(user=user, name="bench")[1]


def _times(fn, calls: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    return [timed_ms(fn)[0] for _ in range(calls)]


def _row(operation, calls, api_ms, service_ms) -> dict:
    api50, service50 = percentile(api_ms, 50), percentile(service_ms, 50) if service_ms else None
    return {
        "operation": operation, "calls": calls,
        "API /s": f"{1000 * len(api_ms) / sum(api_ms):.0f}",
        "API p50 ms": f"{api50:.2f}", "API p95 ms": f"{percentile(api_ms, 95):.2f}",
        "service /s": f"{1000 * len(service_ms) / sum(service_ms):.0f}" if service_ms else "-",
        "service p50 ms": f"{service50:.2f}" if service_ms else "-",
        "service p95 ms": f"{percentile(service_ms, 95):.2f}" if service_ms else "-",
        "API/service": f"{api50 / service50:.2f}x" if service_ms else "-",
    }


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    total = n.warmup * 2 + n.purchases * 2 + 1
    numbers = DID.objects.filter(pk__in=data.dids(n.pool + total, SETUP_FEE, PRICE)).order_by("number") \
        .values_list("number", flat=True)
    to_buy = iter(list(numbers[:total]))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE dids_did")
    account, user, secret = _buyer(n)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    one = f"{SETUP_FEE + PRICE:.4f}"
    rows = []
    with override_settings(API_THROTTLE_RATE=UNTHROTTLED):
        last = {}

        def api_buy():
            last["body"] = {"numbers": [next(to_buy)], "expected_total": one}
            last["key"] = uuid.uuid4().hex
            response = client.post("/api/v1/purchases/", last["body"], content_type="application/json",
                                   HTTP_IDEMPOTENCY_KEY=last["key"])
            assert response.status_code == 201, response.content

        def service_buy():
            buy_numbers(buyer=account, numbers=[next(to_buy)], expected_total=SETUP_FEE + PRICE,
                        purchase_key=uuid.uuid4().hex[:32], by=user)

        api_ms = _times(api_buy, n.purchases, n.warmup)
        service_ms = _times(service_buy, n.purchases, n.warmup)
        rows.append(_row("purchase of one DID", n.purchases, api_ms, service_ms))

        def replay():
            response = client.post("/api/v1/purchases/", last["body"], content_type="application/json",
                                   HTTP_IDEMPOTENCY_KEY=last["key"])
            assert response.status_code == 201 and response.headers["Idempotent-Replayed"] == "true"

        rows.append(_row("replay of a purchase (same key and body)", n.purchases, _times(replay, n.purchases, 0), []))

        def account_call():
            assert client.get("/api/v1/account/").status_code == 200

        rows.append(_row("GET /api/v1/account/ (the API's fixed cost: token, throttle, JSON)", n.lists,
                         _times(account_call, n.lists, n.warmup), []))

        for label, query, filters in (
            ("available-dids, first page of 50", {"limit": 50}, {}),
            ("available-dids, prefix 1555 and max_monthly 3", {"limit": 50, "prefix": "1555", "max_monthly": "3"},
             {"prefix": "1555", "max_price": Decimal("3")}),
        ):
            def api_list():
                response = client.get("/api/v1/available-dids/", query)
                assert response.status_code == 200 and len(response.json()["results"]) == 50, response.content

            def service_list():
                page = list(offers(account, filters).order_by("number")[:51])
                assert len(page) == 51

            rows.append(_row(label, n.lists, _times(api_list, n.lists, n.warmup),
                             _times(service_list, n.lists, n.warmup)))
    bought = Subscription.objects.filter(account=account).count()
    assert bought == 2 * (n.purchases + n.warmup), f"WRONG: {bought} purchases"
    assert IdempotencyKey.objects.filter(account=account).count() == n.purchases + n.warmup, "WRONG: keys"
    account.refresh_from_db()
    assert account.balance.amount == ledger_sum(account.pk), "WRONG: the balance differs from the ledger"
    return rows
