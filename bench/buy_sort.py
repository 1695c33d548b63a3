"""Buy DIDs sorted by price or setup fee over the whole operator pool at a million DIDs: a buyer with no
price override (the plain columns and the pool's (fee, number) indexes, resellers/offer_rows.py
with_buyer_prices) beside a buyer with one override (the price rule's expression, Coalesce(override,
fee), which every buyer ran before the fast path: it works out and sorts the whole pool)."""

import html
import re
from urllib.parse import parse_qsl

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from bench.common import percentile, sized, timed_ms
from bench.lists import _load_dids
from billing.models import PriceOverride, Subscription
from core.bulk_update import generated_insert_sql
from dids.models import DID

# dids: the table; fast / slow: timed requests per page of each buyer after warmup untimed ones.
# Tiny stays above the exact-count limit (core.listing, 10,000 rows): keyset pages, as at a million.
SIZES = {
    "full": {"dids": 1_000_000, "fast": 30, "slow": 8, "warmup": 2},
    "tiny": {"dids": 12_000, "fast": 2, "slow": 1, "warmup": 1},
}
FULL = SIZES["full"]
TITLE = f"Buy DIDs sorted by price at {FULL['dids']:,} DIDs"
NOTES = (
    f"Server time of one Buy DIDs request (django.test.Client in-process: middleware, session, login, template), "
    f"p50/p95 over {FULL['fast']} requests (*no override*) or {FULL['slow']} (*one override*) after "
    f"{FULL['warmup']} warm-up requests. *no override*: a buyer under the operator without any price override "
    "(one EXISTS probe, then the pool sorted by the fee column through did_pool_price / did_pool_setup_fee). "
    "*one override* (before): a buyer with one override (on a DID outside the pool, so both see the same prices "
    "and order, checked): the Coalesce(override subquery, fee) expression every buyer ran before, which "
    "PostgreSQL works out for every DID of the pool and sorts. *page 2*: the Next link of the first page (a "
    "keyset cursor). *a reseller's pool*: a customer of the reseller holding the 5% sold DIDs (one subscription "
    "each, SELL COST with ties); without an override its prices are the holdings' SELL COST read by a join, with "
    "one (on a holding sold on to another customer) the rule's two subqueries per DID. *same rows*: both "
    "buyers' pages list the same numbers in the same order. *q*: queries of "
    "one request. Data: the lists benchmark's DIDs (8 countries, 5% sold, 2% inactive, 9 monthly fees, 3 setup "
    "fees: many ties, broken by number), then VACUUM ANALYZE."
)


def _load(n):
    User = get_user_model()
    holder = Account.objects.create(number="7200000002", name="Sort holder", kind=Account.Kind.RESELLER)
    plain = Account.objects.create(number="7200000003", name="No override", kind=Account.Kind.RESELLER)
    ruled = Account.objects.create(number="7200000004", name="One override", kind=Account.Kind.RESELLER)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # the load and the slow path, not requests' 30 s
    _load_dids(holder.pk, n.dids)
    sold = DID.objects.filter(holder=holder).order_by("number").first()
    PriceOverride.objects.create(did=sold, buyer=ruled, setup_fee=sold.setup_fee.amount,
                                 price=sold.monthly_fee.amount)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE dids_did")
    customers = _reseller_with_holdings(holder, sold)
    users = [User.objects.create(username=f"sort-{a.number}", account=a) for a in (plain, ruled, *customers)]
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients, Subscription.objects.filter(account=holder).count()


NEXT = re.compile(r'<a class="page-link" href="\?([^"]*)">Next<')
ROW = re.compile(r'name="did" value="(\d+)"')


def _reseller_with_holdings(holder, sold) -> list[Account]:
    """The holder of the sold DIDs as a reseller holding each (one active subscription, SELL COST
    1.00-4.00 with ties), and two customers of it: one without an override, one with an override on the
    holding of ``sold``, which a third customer holds (sold on: outside the pool, the same prices)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_held AS SELECT id, row_number() OVER (ORDER BY id) AS n "
                       "FROM dids_did WHERE holder_id = %s", [holder.pk])
        cursor.execute("CREATE UNIQUE INDEX ON bench_held (n)")
        cursor.execute("SELECT count(*) FROM bench_held")
        held = cursor.fetchone()[0]
        expressions = {
            "did_id": "(SELECT h.id FROM bench_held h WHERE h.n = g)", "account_id": str(holder.pk),
            "status": "'active'", "setup_fee": "1", "price": "1", "billing_type": "'recurring'",
            "billing_days": "30", "period_start": "now()", "period_end": "now() + interval '30 days'",
            "sell_setup_fee": "mod(g, 3)::numeric", "sell_price": "1 + mod(g, 13)::numeric / 4",
            "started_at": "now()", "purchase_key": "'bench-sort-' || g",
        }
        sql, params = generated_insert_sql(Subscription, expressions, held)
        cursor.execute(sql, params)
        cursor.execute("DROP TABLE bench_held")
    customers = [Account.objects.create(number=f"720000000{i}", name=f"Customer {i}", kind=Account.Kind.CUSTOMER,
                                        parent=holder) for i in (5, 6, 7)]
    holding = Subscription.objects.get(account=holder, did=sold)
    Subscription.objects.create(
        did=sold, account=customers[2], parent=holding, setup_fee=holding.sell_setup_fee,
        price=holding.sell_price, billing_type=holding.billing_type, billing_days=30,
        period_start=holding.period_start, period_end=holding.period_end, sell_setup_fee=holding.sell_setup_fee,
        sell_price=holding.sell_price, purchase_key="bench-sort-sold-on")
    PriceOverride.objects.create(did=sold, buyer=customers[1], seller_subscription=holding,
                                 setup_fee=holding.sell_setup_fee.amount, price=holding.sell_price.amount)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE billing_subscription")
    return customers[:2]


def _next_query(response) -> dict:
    return dict(parse_qsl(html.unescape(NEXT.search(response.content.decode()).group(1))))


def _measure(client, url, query, requests, warmup) -> dict:
    for _ in range(warmup):
        client.get(url, query)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url, query)
    assert response.status_code == 200, (url, query, response.status_code)
    times = [timed_ms(client.get, url, query)[0] for _ in range(requests)]
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "q": len(queries),
            "numbers": ROW.findall(response.content.decode())}


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    (plain, ruled, customer, customer_ruled), held = _load(n)
    url = reverse("resellers:buy")
    rows = []
    cases = [(f"operator's pool, sorted by {label}", plain, ruled, sort)
             for sort, label in (("price", "price"), ("-price", "price, descending"), ("setup_fee", "setup fee"))]
    cases.append((f"a reseller's pool ({held:,} DIDs held), sorted by price", customer, customer_ruled, "price"))
    for label, fast_client, slow_client, sort in cases:
        for page in ("first page", "page 2"):
            query = {"sort": sort}
            if page == "page 2":
                query = _next_query(fast_client.get(url, query))
            fast = _measure(fast_client, url, query, n.fast, n.warmup)
            slow = _measure(slow_client, url, query, n.slow, n.warmup)
            same = fast["numbers"] == slow["numbers"] and len(fast["numbers"]) == 25
            rows.append({
                "page": f"{label}, {page}",
                "no override p50 ms": f"{fast['p50']:.1f}", "no override p95 ms": f"{fast['p95']:.1f}",
                "no override q": fast["q"],
                "one override (before) p50 ms": f"{slow['p50']:.1f}",
                "one override (before) p95 ms": f"{slow['p95']:.1f}", "one override q": slow["q"],
                "speed-up": f"{slow['p50'] / fast['p50']:.0f}x",
                "same rows": "yes" if same else "NO",
            })
            print(f"  {rows[-1]['page']}: {fast['p50']:.1f} ms without an override, {slow['p50']:.1f} ms with one")
    return rows
