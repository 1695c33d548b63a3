"""The list pages at a million rows: the admin's DID list, Buy DIDs and a statement,
each beside a bare Django view running the same SQL and rendering the same rows,
and beside Django's own admin changelist of the DID model."""

import re
import time
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import HttpResponse
from django.template import engines
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from bench.common import percentile, sized, timed_ms
from billing.models import LedgerEntry
from core import listing
from core.bulk_update import generated_insert_sql
from dids.filters import number_contains, prefix_range
from dids.models import DID, Provider

# dids, entries: the rows; requests (admin_requests): timed requests per page (of Django's admin)
# after warmup untimed ones. Tiny stays above the exact-count limit (core.listing, 10,000 rows):
# estimated counts and keyset pages, as at a million rows.
SIZES = {
    "full": {"dids": 1_000_000, "entries": 1_000_000, "requests": 30, "admin_requests": 10, "warmup": 3},
    "tiny": {"dids": 12_000, "entries": 12_000, "requests": 1, "admin_requests": 1, "warmup": 1},
}
FULL = SIZES["full"]
GOAL_MS = 50
COUNTER = re.compile(r'data-testid="records-counter">([^<]*)<')
TITLE = f"List pages at {FULL['dids']:,} DIDs and {FULL['entries']:,} ledger entries"
NOTES = (
    f"Server time of one request, p50/p95 over {FULL['requests']} requests after {FULL['warmup']} warm-up "
    "requests "
    f"({FULL['admin_requests']} for Django's admin). *ours*: the portal's page through the whole stack "
    "(django.test.Client in-process: every middleware, session, login, template), logged in with force_login. "
    "*bare*: a plain function view called directly with RequestFactory (no middleware, no session, no login) that "
    "runs the same SQL as our page's list (the count up to 10,001 rows and the same page query) and renders the "
    "same rows with a minimal template. *admin*: Django's admin changelist of DID (`dids/admin.py`: list_select_related, "
    "list_filter country/status, search on number, show_full_result_count off) through the same Client, its "
    "equivalent filter and its page number for deep pages. *q*: queries of one request (session and login "
    "included). Goals: ours under 50 ms p50 and within 2x of bare. "
    f"Data: {FULL['dids']:,} DIDs in 8 countries, 5 providers, 5% sold, 2% inactive, and one account with "
    f"{FULL['entries']:,} "
    "ledger entries, all loaded with INSERT ... SELECT generate_series (ledger triggers off during the load; the "
    "chain it writes is valid), then VACUUM ANALYZE."
)

# (share of the DIDs in twentieths, ISO code, calling code)
COUNTRIES = [(8, "US", "1"), (3, "GB", "44"), (2, "DE", "49"), (2, "FR", "33"), (2, "JP", "81"), (1, "IN", "91"),
             (1, "AU", "61"), (1, "BR", "55")]


# --- data ------------------------------------------------------------------------

def _country_case(column: str) -> str:
    """A CASE over mod(g, 20) giving each country its share."""
    parts, low = [], 0
    for share, code, calling in COUNTRIES:
        value = f"'{code}'" if column == "code" else f"'+{calling}'"
        parts.append(f"WHEN mod(g, 20) < {low + share} THEN {value}")
        low += share
    return "CASE " + " ".join(parts) + " END"


def _load_dids(holder_id: int, count: int) -> None:
    providers = [Provider.objects.order_by("pk").first()] + [
        Provider.objects.get_or_create(name=f"Carrier {i}")[0] for i in range(1, 5)
    ]
    provider_ids = "ARRAY[" + ",".join(str(p.pk) for p in providers) + "]"
    expressions = {
        "number": f"{_country_case('calling')} || (2000000000 + g)::text",
        "country": _country_case("code"),
        "provider_id": f"({provider_ids})[1 + mod(g, {len(providers)})]",
        "city": "'City ' || (mod(g, 500))",
        "province": "'Province ' || (mod(g, 50))",
        "status": "CASE WHEN mod(g, 50) = 7 THEN 'inactive' ELSE 'active' END",
        "holder_id": f"CASE WHEN mod(g, 20) = 3 THEN {holder_id} END",
        "buy_cost": "(mod(g, 7))::numeric / 2",
        "setup_fee": "(mod(g, 3))::numeric",
        "monthly_fee": "1 + (mod(g, 9))::numeric / 4",
        "billing_days": "CASE WHEN mod(g, 4) = 0 THEN 28 ELSE 30 END",
        "created_at": "now() - g * interval '1 second'",
        "updated_at": "now()",
    }
    sql, params = generated_insert_sql(DID, expressions, count)
    with connection.cursor() as cursor:
        # Building the indexes once after the load is several times faster than updating them row by row.
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dids_did' AND indexname NOT IN "
                       "(SELECT conname FROM pg_constraint WHERE conrelid = 'dids_did'::regclass)")
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(sql, params)
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)


def _load_ledger(account: Account, count: int) -> None:
    """One account's chain: a refill of 50 every 10th entry, call charges between."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # skip the per-row chain triggers
        cursor.execute(f"""
            INSERT INTO billing_ledgerentry (account_id, seq, kind, amount, amount_currency, balance_before,
                balance_before_currency, balance_after, balance_after_currency, description, created_at)
            SELECT %s, g, kind, amount, 'USD', after - amount, 'USD', after, 'USD', text,
                   now() - ({count} - g) * interval '1 minute'
            FROM (
                SELECT g, kind, amount, text, sum(amount) OVER (ORDER BY g) AS after
                FROM (
                    SELECT g,
                           CASE WHEN mod(g, 10) = 1 THEN 'funds_added' ELSE 'call_charges' END AS kind,
                           CASE WHEN mod(g, 10) = 1 THEN 50.0000 ELSE -0.0123 * (1 + mod(g, 7)) END AS amount,
                           CASE WHEN mod(g, 10) = 1 THEN 'Funds added' ELSE 'Call charges' END AS text
                    FROM generate_series(1, {count}) AS g
                ) AS entries
            ) AS chain
        """, [account.pk])
        cursor.execute(
            "UPDATE accounts_account SET balance = (SELECT balance_after FROM billing_ledgerentry "
            "WHERE account_id = %s ORDER BY seq DESC LIMIT 1) WHERE id = %s", [account.pk, account.pk],
        )


def _load(n):
    User = get_user_model()
    admin = User.objects.create(username="lists-admin", is_staff=True, is_superuser=True)
    buyer = Account.objects.create(number="7100000001", name="Lists buyer", kind=Account.Kind.RESELLER)
    buyer_user = User.objects.create(username="lists-buyer", account=buyer)
    holder = Account.objects.create(number="7100000002", name="Lists holder", kind=Account.Kind.RESELLER)
    ledger = Account.objects.create(number="7100000003", name="Lists statement", kind=Account.Kind.RESELLER)
    ledger_user = User.objects.create(username="lists-statement", account=ledger)
    start = time.perf_counter()
    _load_dids(holder.pk, n.dids)
    dids_s = time.perf_counter() - start
    _load_ledger(ledger, n.entries)
    ledger_s = time.perf_counter() - start - dids_s
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE dids_did")
        cursor.execute("VACUUM ANALYZE billing_ledgerentry")
    print(f"  lists: {n.dids:,} DIDs in {dids_s:.0f} s, {n.entries:,} ledger entries in {ledger_s:.0f} s, "
          f"vacuum analyze {time.perf_counter() - start - dids_s - ledger_s:.0f} s")
    return admin, buyer_user, ledger_user, ledger


# --- the bare views --------------------------------------------------------------

BARE_DIDS = engines["django"].from_string(
    "<table>{% for d in rows %}<tr><td>{{ d.digits }}</td><td>{{ d.country.name }}</td><td>{{ d.city }}</td>"
    "<td>{{ d.province }}</td><td>{{ d.provider.name }}</td><td>{{ d.buy_cost.amount }}</td>"
    "<td>{{ d.setup_fee.amount }}</td><td>{{ d.monthly_fee.amount }}</td><td>{{ d.get_billing_type_display }}</td>"
    "<td>{{ d.billing_days }}</td><td>{{ d.get_status_display }}</td><td>{{ d.holder.name }}</td></tr>"
    "{% endfor %}</table><p>{{ count }}</p>"
)
BARE_ENTRIES = engines["django"].from_string(
    "<table>{% for e in rows %}<tr><td>{{ e.created_at }}</td><td>{{ e.get_kind_display }}</td>"
    "<td>{{ e.description }}</td><td>{{ e.did.digits }}</td><td>{{ e.amount.amount }}</td>"
    "<td>{{ e.balance_after.amount }}</td></tr>{% endfor %}</table><p>{{ count }}</p>"
)


def bare_view(queryset, template, count_queryset):
    """A plain view: the capped count and the page's rows, a minimal template."""
    def view(request):
        count = listing.count_up_to(count_queryset, listing.EXACT_COUNT_LIMIT)
        # .all(): a fresh query per request (the QuerySet itself would serve its cached rows again)
        return HttpResponse(template.render({"rows": list(queryset.all()), "count": count}))
    return view


# --- measuring -------------------------------------------------------------------

def _measure(call, requests: int, warmup: int) -> dict:
    for _ in range(warmup):
        response = call()
    with CaptureQueriesContext(connection) as queries:
        response = call()
    count = len(queries)
    if response.status_code != 200:
        return {"p50": None, "p95": None, "q": count, "status": response.status_code, "response": response}
    times = [timed_ms(call)[0] for _ in range(requests)]
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "q": count, "status": 200,
            "response": response}


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio(a, b) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def _after(sort: str, values: list, position: int) -> str:
    return urlencode({"after": listing._encode(sort, values, position, False)})


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    admin, buyer_user, ledger_user, ledger = _load(n)
    staff, buyer, own = Client(), Client(), Client()
    staff.force_login(admin)
    buyer.force_login(buyer_user)
    own.force_login(ledger_user)
    factory = RequestFactory()

    dids = DID.objects.select_related("provider", "holder")
    deep = n.dids * 9 // 10  # the deep pages start after this many rows: 900,000 of the DIDs
    deep_number = DID.objects.order_by("number").values_list("number", flat=True)[deep - 1]
    pool = DID.objects.filter(status=DID.Status.ACTIVE, holder__isnull=True).select_related("provider", "holder")
    deep_in_pool = n.dids * 8 // 10  # 800,000 of the ~930,000 DIDs on sale
    deep_pool = pool.order_by("number").values_list("number", flat=True)[deep_in_pool - 1]
    entries = LedgerEntry.objects.filter(account=ledger).select_related("did")
    half = n.entries // 2  # 500,000 entries
    deep_seq = n.entries - half
    did_list, changelist = reverse("dids:list"), "/django-admin/dids/did/"
    buy, statement = reverse("resellers:buy"), reverse("billing:statement")
    last_admin_page = -(-n.dids // 25)

    # (page, our client, our URL, bare queryset, count queryset, bare template, admin URL)
    cases = [
        ("DID list, first page", staff, did_list, dids.order_by("number")[:25], dids, BARE_DIDS, changelist),
        (f"DID list, page at row {deep + 1:,} (Next / Go to)", staff,
         f"{did_list}?{_after('number', [deep_number], deep + 1)}",
         dids.filter(number__gt=deep_number).order_by("number")[:25], dids, BARE_DIDS,
         f"{changelist}?p={deep // 25 + 1}"),
        ("DID list, last page", staff, f"{did_list}?last=1", dids.order_by("-number")[:25], dids, BARE_DIDS,
         f"{changelist}?p={last_admin_page}"),
        ("DID list, country GB", staff, f"{did_list}?country=GB",
         dids.filter(country="GB").order_by("number")[:25], dids.filter(country="GB"), BARE_DIDS,
         f"{changelist}?country__exact=GB"),
        ("DID list, number contains 555", staff, f"{did_list}?number=555&match=contains",
         number_contains(dids, "555").order_by("number")[:25], number_contains(dids, "555"),
         BARE_DIDS, f"{changelist}?q=555"),
        ("DID list, number starts with 4420", staff, f"{did_list}?number=4420&match=starts",
         dids.filter(number__startswith="+4420", **prefix_range("+4420")).order_by("number")[:25],
         dids.filter(number__startswith="+4420", **prefix_range("+4420")),
         BARE_DIDS, f"{changelist}?number__startswith=%2B4420"),
        ("DID list, sorted by city", staff, f"{did_list}?sort=city",
         dids.order_by("city", "number")[:25], dids, BARE_DIDS, f"{changelist}?o=3.1"),
        ("Buy DIDs, first page", buyer, buy, pool.order_by("number")[:25], pool, BARE_DIDS,
         f"{changelist}?status__exact=active&holder__isnull=True"),
        (f"Buy DIDs, page at row {deep_in_pool + 1:,}", buyer,
         f"{buy}?{_after('number', [deep_pool], deep_in_pool + 1)}",
         pool.filter(number__gt=deep_pool).order_by("number")[:25], pool, BARE_DIDS,
         f"{changelist}?status__exact=active&holder__isnull=True&p={deep_in_pool // 25 + 1}"),
        ("Statement, page 1 (newest)", own, statement, entries.order_by("-seq")[:25], entries, BARE_ENTRIES, None),
        (f"Statement, page at entry {half:,}", own, f"{statement}?{_after('-date', [deep_seq + 1], half + 1)}",
         entries.filter(seq__lt=deep_seq + 1).order_by("-seq")[:25], entries, BARE_ENTRIES, None),
        ("Statement, last page (oldest)", own, f"{statement}?last=1", entries.order_by("seq")[:25], entries,
         BARE_ENTRIES, None),
    ]
    rows = []
    for label, client, url, queryset, count_queryset, template, admin_url in cases:
        ours = _measure(lambda: client.get(url), n.requests, n.warmup)
        view = bare_view(queryset, template, count_queryset)
        bare = _measure(lambda: view(factory.get(url)), n.requests, n.warmup)
        admin = _measure(lambda: staff.get(admin_url), n.admin_requests, n.warmup) if admin_url else None
        counter = COUNTER.search(ours["response"].content.decode()) if ours["status"] == 200 else None
        ok = ours["p50"] is not None and ours["p50"] < GOAL_MS and ours["p50"] <= 2 * bare["p50"]
        row = {
            "page": label,
            "counter": counter.group(1) if counter else f"status {ours['status']}",
            "ours p50 ms": _ms(ours["p50"]), "ours p95 ms": _ms(ours["p95"]), "ours q": ours["q"],
            "bare p50 ms": _ms(bare["p50"]), "bare p95 ms": _ms(bare["p95"]), "bare q": bare["q"],
            "ours/bare": _ratio(ours["p50"], bare["p50"]),
            "admin p50 ms": _ms(admin["p50"]) if admin else "-",
            "admin p95 ms": _ms(admin["p95"]) if admin else "-",
            "admin q": admin["q"] if admin else "-",
            "ours/admin": _ratio(ours["p50"], admin["p50"]) if admin else "-",
            "goal": "met" if ok else "MISSED",
        }
        if admin and admin["status"] != 200:
            row["admin p50 ms"] = f"status {admin['status']}"
        print(f"  {label}: ours {row['ours p50 ms']} ms, bare {row['bare p50 ms']} ms, admin {row['admin p50 ms']} ms")
        rows.append(row)
    return rows
