"""Routing lookups for the softswitch: GET /routing/lookup under gunicorn, driven by
several client processes for a fixed time, and the server time of one lookup
measured in-process (the service alone, and the whole Django stack).

Data (INSERT ... SELECT generate_series): ``dids`` DIDs (SIZES), 80% held by 50 resellers,
half of those sold on to one of each reseller's 4 customers; destinations of every
call type at the bottom of each chain, and the refusals a switch meets: 2% inactive,
20% nobody's, 1% without a destination, 1% in a grace period, one reseller suspended
(2% of the held DIDs). The numbers asked are drawn from all DIDs, plus 5% unknown
numbers and 1% garbage, half sent as carriers send them (digits without "+").
"""

import http.client
import io
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection, connections
from django.core.handlers.wsgi import WSGIHandler

from accounts.models import Account
from bench.common import percentile, sized
from billing.models import Subscription
from core.bulk_update import generated_insert_sql
from dids.models import DID, Provider
from routing.lookup import answer_for
from routing.tokens import create_token

# dids: DIDs loaded; seconds: measured per gunicorn configuration, after warmup seconds;
# in_process: lookups timed in this process; asked: the numbers the clients cycle through.
SIZES = {
    "full": {"dids": int(os.environ.get("BENCH_ROUTING_DIDS", "100000")),
             "seconds": int(os.environ.get("BENCH_ROUTING_SECONDS", "15")), "warmup": 2, "in_process": 5000,
             "asked": 50_000},
    "tiny": {"dids": 500, "seconds": 0.5, "warmup": 0.25, "in_process": 200, "asked": 1000},
}
RESELLERS, CUSTOMERS_EACH = 50, 4
ROOT = Path(__file__).resolve().parent.parent
GTHREAD = ["--worker-class", "gthread", "-w", "2", "--threads", "4"]
# (label, gunicorn arguments, keep-alive, client processes): sync workers close the connection
# after each response; gthread workers keep it open, as a switch's HTTP client would. One client
# shows the latency of a lookup alone, four what the machine can do.
SERVERS = [
    ("gthread -w 2 --threads 4, keep-alive", GTHREAD, True, 1),
    ("gthread -w 2 --threads 4, keep-alive", GTHREAD, True, 4),
    ("sync -w 2, a connection per lookup", ["-w", "2"], False, 4),
]

TITLE = "Routing lookups for the softswitch"
NOTES = ""  # written by run(): the data and the answers' mix


# --- data --------------------------------------------------------------------------------

def _accounts() -> tuple[list[int], list[int]]:
    """50 resellers (one suspended) with 4 customers each: (reseller ids, customer ids by reseller)."""
    resellers = Account.objects.bulk_create(
        Account(number=f"{7200000000 + i}", name=f"Routing reseller {i}", kind=Account.Kind.RESELLER,
                status=Account.Status.SUSPENDED if i == 7 else Account.Status.ACTIVE)
        for i in range(RESELLERS)
    )
    customers = Account.objects.bulk_create(
        Account(number=f"{7300000000 + i}", name=f"Routing customer {i}", kind=Account.Kind.CUSTOMER,
                parent=resellers[i // CUSTOMERS_EACH])
        for i in range(RESELLERS * CUSTOMERS_EACH)
    )
    return [a.pk for a in resellers], [a.pk for a in customers]


def _array(ids: list[int]) -> str:
    return "ARRAY[" + ",".join(map(str, ids)) + "]"


def _destination(g: str) -> tuple[str, str]:
    """(call_type, destination) SQL for row ``g``: every call type, blank for 1 in 100."""
    call_type = (f"CASE WHEN mod({g}, 100) = 11 THEN '' WHEN mod({g}, 3) = 0 THEN 'sip_uri' "
                 f"WHEN mod({g}, 3) = 1 THEN 'sip_device' ELSE 'pstn' END")
    destination = (f"CASE WHEN mod({g}, 100) = 11 THEN '' WHEN mod({g}, 3) = 0 THEN 'sip:' || {g} || "
                   f"'@pbx' || mod({g}, 50) || '.example.com' WHEN mod({g}, 3) = 1 THEN 'ext' || mod({g}, 1000) "
                   f"ELSE '+4420' || (70000000 + {g}) END")
    return call_type, destination


def _subscriptions(first_did: int, resellers: list[int], customers: list[int], count: int) -> None:
    did = f"{first_did - 1} + g"
    common = {
        "did_id": did, "setup_fee": "0", "price": "1", "sell_setup_fee": "0", "sell_price": "2",
        "billing_type": "'recurring'", "billing_days": "30", "period_start": "now()",
        "period_end": "now() + interval '30 days'",
    }
    sold_on = "mod(g, 10) < 4"
    call_type, destination = _destination("g")
    top = {
        **common, "account_id": f"({_array(resellers)})[1 + mod(g, {RESELLERS})]", "purchase_key": "'top-' || g",
        "call_type": f"CASE WHEN {sold_on} THEN '' ELSE {call_type} END",
        "destination": f"CASE WHEN {sold_on} THEN '' ELSE {destination} END",
        "grace_until": "CASE WHEN mod(g, 100) = 13 THEN now() + interval '3 days' END",
        "suspended_at": "CASE WHEN mod(g, 100) = 13 THEN now() END",
    }
    bottom = {
        **common, "purchase_key": "'bottom-' || g", "call_type": call_type, "destination": destination,
        "account_id": f"({_array(customers)})[1 + mod(g, {RESELLERS}) * {CUSTOMERS_EACH} + mod(g / {RESELLERS}, "
                      f"{CUSTOMERS_EACH})]",
        "parent_id": f"(SELECT s.id FROM billing_subscription s WHERE s.did_id = {did} AND s.parent_id IS NULL)",
    }
    with connection.cursor() as cursor:
        for expressions, where in ((top, "mod(g, 10) < 8"), (bottom, sold_on)):
            sql, params = generated_insert_sql(Subscription, expressions, count)
            cursor.execute(f"{sql} WHERE {where}", params)
            cursor.execute("ANALYZE billing_subscription")  # else the parent look-up scans the table per row
        cursor.execute("UPDATE dids_did d SET holder_id = s.account_id FROM billing_subscription s "
                       "WHERE s.did_id = d.id AND s.parent_id IS NULL")


def _load(count: int) -> list[str]:
    """The data; returns every DID's number."""
    resellers, customers = _accounts()
    sql, params = generated_insert_sql(DID, {
        "number": "'+1202' || (2000000 + g)", "status": "CASE WHEN mod(g, 50) = 7 THEN 'inactive' ELSE 'active' END",
        "provider_id": str(Provider.objects.order_by("pk").first().pk),
        "monthly_fee": "1", "call_timeout": "15 + mod(g, 4) * 15", "concurrent_calls": "mod(g, 4)",
        "created_at": "now()", "updated_at": "now()",
    }, count)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("SELECT min(id) FROM dids_did")
        first = cursor.fetchone()[0]
    dids_s = time.perf_counter() - start
    _subscriptions(first, resellers, customers, count)
    subs_s = time.perf_counter() - start - dids_s
    with connection.cursor() as cursor:
        for table in ("dids_did", "billing_subscription", "accounts_account"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"  routing: {count:,} DIDs in {dids_s:.0f} s, subscriptions in {subs_s:.0f} s, "
          f"vacuum analyze {time.perf_counter() - start - dids_s - subs_s:.0f} s")
    return list(DID.objects.values_list("number", flat=True))


def _asked(numbers: list[str], count: int) -> list[str]:
    """What the switch asks: stored numbers (half without "+"), 5% unknown, 1% garbage."""
    rng = random.Random(7)
    asked = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.01:
            asked.append(rng.choice(["anonymous", "s", "sip:alice@example.com", "+0", ""]))
        elif roll < 0.06:
            asked.append(f"+1303{rng.randrange(10**7):07d}")
        else:
            number = rng.choice(numbers)
            asked.append(number if rng.random() < 0.5 else number[1:])
    return asked


# --- in-process --------------------------------------------------------------------------

def _timings(call, asked: list[str]) -> list[float]:
    times = []
    for number in asked:
        start = time.perf_counter()
        call(number)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _wsgi_lookup(token: str):
    """A lookup through Django's WSGI handler, the call gunicorn makes (every middleware, the token check)."""
    handler = WSGIHandler()
    base = {"REQUEST_METHOD": "GET", "PATH_INFO": "/routing/lookup", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.url_scheme": "http"}

    def lookup(number: str) -> None:
        environ = {**base, "QUERY_STRING": urlencode({"number": number}), "wsgi.input": io.BytesIO(),
                   "wsgi.errors": io.StringIO()}
        statuses = []
        body = b"".join(handler(environ, lambda status, headers: statuses.append(status)))
        assert statuses == ["200 OK"] and body.startswith(b'{"number"'), (statuses, body)
    return lookup


def _in_process(token: str, asked: list[str], count: int) -> list[dict]:
    view = _wsgi_lookup(token)
    _timings(answer_for, asked[:300])  # warm up
    _timings(view, asked[:300])
    service = _timings(answer_for, asked[:count])
    request = _timings(view, asked[:count])
    return [
        _row("in-process: routing.lookup.answer_for", service, sum(service) / 1000,
             q=_most_queries(answer_for, asked[:500])),
        _row("in-process: GET /routing/lookup through Django's WSGI handler", request, sum(request) / 1000,
             q=_most_queries(view, asked[:500])),
    ]


def _most_queries(call, asked: list[str]) -> str:
    """The most SQL statements one lookup ran, over ``asked`` (counted apart from the timings)."""
    counts = []

    def counted(execute, sql, params, many, context):
        counts[-1] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        for number in asked:
            counts.append(0)
            call(number)
    return str(max(counts))


# --- gunicorn ----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(arguments: list[str], port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=os.environ["DATABASE_URL"], DEBUG="0", SECRET_KEY="bench-only-not-a-secret",
               ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0", DJANGO_SETTINGS_MODULE="billing_portal.settings")
    with log.open("w") as errors:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "billing_portal.wsgi", "-b", f"127.0.0.1:{port}",
             *arguments],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}); see {log}")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/routing/lookup?number=1")
            if probe.getresponse().status == 401:
                return server
        except OSError:
            time.sleep(0.2)
    _stop(server)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log}")


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # its own session: the master and its workers
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _client(port, token, paths, keep_alive, start, stop, results):
    """One client process: lookups one after another until ``stop``; latencies from ``start`` on."""
    headers = {"Authorization": f"Bearer {token}"}
    times, statuses, i = [], Counter(), 0
    conn = None
    while True:
        now = time.perf_counter()
        if now >= stop:
            break
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", paths[i % len(paths)], headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - now) * 1000
        if response.will_close or not keep_alive:
            conn.close()
            conn = None
        if now >= start:
            times.append(elapsed)
            statuses[response.status] += 1
        i += 1
    results.put((times, dict(statuses)))


def _load_test(label, arguments, keep_alive, clients, token, asked, seconds: int, warmup: float) -> dict:
    port = _free_port()
    log = Path("/tmp") / f"bench-routing-gunicorn-{os.getpid()}.log"
    server = _start(arguments, port, log)
    try:
        paths = ["/routing/lookup?" + urlencode({"number": n}) for n in asked]
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        start = time.perf_counter() + warmup  # warm-up, then the measured seconds
        stop = start + seconds
        workers = [context.Process(target=_client, args=(port, token, paths[k::clients], keep_alive, start, stop,
                                                          results)) for k in range(clients)]
        for worker in workers:
            worker.start()
        collected = [results.get(timeout=seconds + 120) for _ in workers]
        for worker in workers:
            worker.join()
    finally:
        _stop(server)
    times = [t for chunk, _ in collected for t in chunk]
    statuses = Counter()
    for _, counts in collected:
        statuses.update(counts)
    errors = sum(n for status, n in statuses.items() if status != 200)
    return _row(f"gunicorn {label}, {clients} client{'s' if clients > 1 else ''}", times, seconds,
                errors=str(errors))


def _row(label: str, times: list[float], seconds: float, q: str = "", errors: str = "") -> dict:
    return {
        "measure": label, "lookups": f"{len(times):,}", "lookups/s": f"{len(times) / seconds:,.0f}",
        "p50 ms": f"{percentile(times, 50):.2f}", "p95 ms": f"{percentile(times, 95):.2f}",
        "p99 ms": f"{percentile(times, 99):.2f}", "queries": q, "non-200": errors,
    }


def run(size: str | None = None) -> list[dict]:
    global NOTES
    n = sized(SIZES, size)
    start = time.perf_counter()
    numbers = _load(n.dids)
    loaded = time.perf_counter() - start
    _, token = create_token("bench.example.net")
    asked = _asked(numbers, n.asked)
    mix = Counter(answer_for(number).reason or "allowed" for number in asked[:n.in_process])
    rows = _in_process(token, asked, n.in_process)
    connections.close_all()  # the client processes are forked: no database connection in them
    for label, arguments, keep_alive, clients in SERVERS:
        rows.append(_load_test(label, arguments, keep_alive, clients, token, asked, n.seconds, n.warmup))
    shares = ", ".join(f"{reason} {count / sum(mix.values()):.0%}" for reason, count in mix.most_common())
    NOTES = (
        f"{n.dids:,} DIDs loaded in {loaded:.0f} s (80% held, 40% sold on to a customer; see bench/routing.py). "
        f"Numbers asked: {shares}. *in-process*: {n.in_process:,} lookups one after another in this process: the "
        "service alone (one SQL query and the decision), then the whole request through Django's WSGI handler "
        "(what gunicorn calls: every middleware, the token check; the server time of a lookup without HTTP "
        "parsing); *queries*: the most one lookup ran. *gunicorn*: `gunicorn billing_portal.wsgi` with DEBUG=0 "
        f"on 127.0.0.1, 1 or 4 client processes (http.client, one request at a time each) for {n.seconds} s after "
        f"{n.warmup} s of warm-up; latency is the client's, request sent to response read. Clients and server share "
        f"the machine's {os.cpu_count()} cores, so lookups/s is what the whole machine does, not the server alone."
    )
    return rows
