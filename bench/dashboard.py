"""The home dashboards at a million DIDs: server time of "/" for the admin, a reseller holding
50,000 of them with a million ledger entries, and its customer; and each of the admin's figures
on its own (billing/dashboards.py), so a page over its goal names the figure that is slow."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from bench import lists
from bench.common import percentile, sized, timed_ms
from billing import dashboards
from calls.models import Call, CallCharge, CallImport
from core.bulk_update import generated_insert_sql
from dids.models import DID

# dids, entries: as bench/lists.py builds them (5% of the DIDs held by one reseller, one account's ledger);
# calls: calls today charged to the customer; requests: timed requests per page after ``warmup``.
SIZES = {
    "full": {"dids": 1_000_000, "entries": 1_000_000, "calls": 200_000, "requests": 30, "warmup": 3},
    "tiny": {"dids": 12_000, "entries": 12_000, "calls": 2_000, "requests": 2, "warmup": 1},
}
FULL = SIZES["full"]
GOAL_MS = 100
TITLE = f"Home dashboards at {FULL['dids']:,} DIDs"
NOTES = (
    f"Server time of one request of `/`, p50/p95 over {FULL['requests']} requests after {FULL['warmup']} warm-up "
    "requests, through the whole stack (django.test.Client in-process, force_login); *queries*: of one request, "
    "session and login included. The figure rows time each of the admin's figures alone (the service call, no "
    "page); the money per month twice: as every view but the first of a month computes it (the ended months "
    f"from the cache: billing/dashboards.py) and as the first one does (a year of entries summed). Data: bench/lists.py's {FULL['dids']:,} DIDs (5% held by one reseller, 2% Inactive), a top-level "
    f"subscription for each held DID (bought over the last 60 days, renewing over the next 30, 1% in grace), "
    f"the reseller's ledger of {FULL['entries']:,} entries (a refill every 10th, call charges between, one a "
    f"minute: about half of them in the last 12 months, all of them revenue of the operator's or cost of the "
    f"reseller's), {FULL['calls']:,} calls today charged to its customer. Goal: every page under {GOAL_MS} ms."
)


def _load_subscriptions(holder: Account) -> int:
    """A top-level subscription for each DID ``holder`` holds (bench/lists.py sets only the holder)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO billing_subscription (did_id, account_id, parent_id, status, setup_fee, setup_fee_currency,
                price, price_currency, billing_type, billing_days, period_start, period_end, sell_setup_fee,
                sell_setup_fee_currency, sell_price, sell_price_currency, started_at, grace_until, purchase_key,
                call_type, destination)
            SELECT d.id, d.holder_id, NULL, 'active', d.setup_fee, 'USD', d.monthly_fee, 'USD', 'recurring',
                d.billing_days, now() - (mod(d.id, 30) || ' days')::interval,
                now() + ((30 - mod(d.id, 30)) || ' days')::interval, d.setup_fee, 'USD', d.monthly_fee, 'USD',
                now() - (mod(d.id, 60) || ' days')::interval,
                CASE WHEN mod(d.id, 100) = 0 THEN now() + interval '10 days' END,
                'dashboard-bench-' || d.id, '', ''
            FROM dids_did d WHERE d.holder_id = %s
        """, [holder.pk])
        return cursor.rowcount


def _load_calls(customer: Account, holder: Account, count: int) -> None:
    """``count`` calls since midnight (or the last ``count`` seconds), each charged to the customer."""
    batch = CallImport.objects.create(source=CallImport.Source.COMMAND, filename="dashboard bench")
    did_id = holder.held_dids.order_by("pk").values_list("pk", flat=True).first()
    started = "greatest(date_trunc('day', now()), now() - g * interval '100 milliseconds')"
    sql, params = generated_insert_sql(Call, {
        "call_id": "'dash-' || g", "did_id": str(did_id), "started_at": started, "billsec": "30",
        "import_batch_id": str(batch.pk)}, count)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute(f"""
            INSERT INTO {CallCharge._meta.db_table} (call_id, account_id, seller_id, level, amount, started_at)
            SELECT id, %s, %s, 2, 0.0100, started_at FROM {Call._meta.db_table} WHERE import_batch_id = %s
        """, [customer.pk, holder.pk, batch.pk])


def _load(n):
    User = get_user_model()
    admin = User.objects.create(username="dashboard-admin", is_staff=True, is_superuser=True)
    holder = Account.objects.create(number="7200000001", name="Dashboard reseller", kind=Account.Kind.RESELLER,
                                    low_balance_threshold=10**9)
    customer = Account.objects.create(number="7200000002", name="Dashboard customer", kind=Account.Kind.CUSTOMER,
                                      parent=holder)
    reseller_user = User.objects.create(username="dashboard-reseller", account=holder)
    customer_user = User.objects.create(username="dashboard-customer", account=customer)
    lists._load_dids(holder.pk, n.dids)
    with transaction.atomic():
        held = _load_subscriptions(holder)
    lists._load_ledger(holder, n.entries)
    _load_calls(customer, holder, n.calls)
    with connection.cursor() as cursor:
        for table in ("dids_did", "billing_subscription", "billing_ledgerentry", Call._meta.db_table,
                      CallCharge._meta.db_table, "accounts_account"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"  dashboard: {n.dids:,} DIDs, {held:,} subscriptions, {n.entries:,} ledger entries, {n.calls:,} calls")
    return admin, reseller_user, customer_user, holder


def _timing(call, n) -> dict:
    for _ in range(n.warmup):
        call()
    with CaptureQueriesContext(connection) as queries:
        result = call()
    count = len(queries)
    times = [timed_ms(call)[0] for _ in range(n.requests)]
    p50, p95 = percentile(times, 50), percentile(times, 95)
    verdict = f"OK < {GOAL_MS} ms" if p95 < GOAL_MS else f"over {GOAL_MS} ms"
    return {"queries": count, "p50 ms": f"{p50:.1f}", "p95 ms": f"{p95:.1f}", "result": verdict}, result


def _uncached(figure, *args):
    """The figure as the first view of a month computes it: a year of ledger entries summed."""
    cache.clear()
    return figure(*args)


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    admin, reseller_user, customer_user, holder = _load(n)
    rows = []
    for label, user in (("home as the admin", admin), ("home as the reseller", reseller_user),
                        ("home as its customer", customer_user)):
        client = Client()
        client.force_login(user)
        figures, response = _timing(lambda c=client: c.get(reverse("home")), n)
        if response.status_code != 200:
            figures["result"] = f"WRONG: status {response.status_code}"
        rows.append({"page or figure": label, **figures})

    now = timezone.now()
    board = dashboards.admin_dashboard(now)
    held = holder.held_dids.count()
    if board.dids_sold.value < held * 0.5 or board.dids_sold.value > held * 2:  # an estimate, but near
        rows.append({"page or figure": "admin: DIDs sold", "result": f"WRONG: {board.dids_sold.text} vs {held:,}"})
    parts = [
        ("admin: DIDs free / sold / Inactive, calls today (capped counts)", lambda: dashboards.capped_counts([
            DID.objects.filter(holder__isnull=True, status="active"), DID.objects.filter(holder__isnull=False),
            DID.objects.filter(status="inactive"), Call.objects.filter(started_at__gte=now - timedelta(hours=1))])),
        ("admin: revenue and margin per month (12), ended months cached", lambda: dashboards.operator_months(now)),
        ("admin: the same, first view of a month (nothing cached)", lambda: _uncached(dashboards.operator_months, now)),
        ("admin: DIDs sold per day (30)", lambda: dashboards.sold_per_day(now)),
        ("admin: the whole dashboard (service)", lambda: dashboards.admin_dashboard(now)),
        ("reseller: margin per month (12), ended months cached", lambda: dashboards.account_months(holder, now)),
        ("reseller: the same, first view of a month (nothing cached)",
         lambda: _uncached(dashboards.account_months, holder, now)),
    ]
    for label, call in parts:
        figures, _ = _timing(call, n)
        rows.append({"page or figure": label, **figures})
    return rows
