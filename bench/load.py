"""Load: 50 simulated users (Locust, bench/_locustfile.py) for 2 minutes against
gunicorn + PostgreSQL on this machine: resellers and customers browsing, buying,
releasing, changing their sell cost and reading statements, admins browsing the
DID list, accounts and statements. Then the books must still balance:
`check_ledger` and `billing_audit` clean, and no server error at all."""

import csv
import http.client
import io
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from accounts.models import Account, User
from bench.common import sized
from bench.routing import _free_port, _stop
from billing.ledger.funds import add_funds
from billing.ledger.checks import balance_mismatches
from billing.subscriptions.purchase import purchase_did
from core.money import money
from dids.models import DID, Provider

TITLE = "Load: 50 users of mixed traffic for 2 minutes (gunicorn + PostgreSQL)"
# users: Locust users for seconds; the logins they share (resellers with customers_each customers,
# admins); pool: DIDs on sale, of which each reseller holds held_each for its customers. Tiny: one
# admin and three account users, a few seconds: every kind of user logs in and acts.
SIZES = {
    "full": {"users": int(os.environ.get("BENCH_LOAD_USERS", "50")),
             "seconds": int(os.environ.get("BENCH_LOAD_SECONDS", "120")),
             "resellers": 10, "customers_each": 4, "admins": 5, "pool": 20_000, "held_each": 60,
             "admin_users": 0},  # 0: admins by weight (1 user in 10)
    "tiny": {"users": 4, "seconds": 6, "resellers": 2, "customers_each": 1, "admins": 1, "pool": 200,
             "held_each": 10, "admin_users": 1},
}
PASSWORD = "load-test-pass-2026"
ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ["--worker-class", "gthread", "-w", "3", "--threads", "4", "--timeout", "60"]
_F = SIZES["full"]
NOTES = (
    f"{_F['users']} Locust users ({_F['resellers']} resellers and {_F['resellers'] * _F['customers_each']} customers "
    f"logging in as themselves, {_F['admins']} admins; 9 account users to 1 admin) with 0.5-2 s between actions, "
    f"for {_F['seconds']} s, against `gunicorn {' '.join(GUNICORN)}` (production settings, DEBUG=0) and PostgreSQL "
    f"on the same 2 cores as Locust itself. Data: {_F['pool']:,} DIDs in the operator's pool, each reseller holding "
    f"{_F['held_each']} for its customers to buy. Account users: DIDs, Buy DIDs (pages 1-3), Purchase (page, then "
    "POST; a 409 for a DID someone bought a moment before is an answer, not an error), Release, Edit Info "
    "(page, then a new sell price), Statement, "
    "Calls. Admins: DID list pages 1-20, number search, accounts, an account's statement, margins. "
    "*5xx* must be 0; afterwards `check_ledger` (balance == sum of ledger for every account) and `billing_audit` "
    "must be clean."
)


def _world(n) -> tuple[list[str], list[str]]:
    provider, _ = Provider.objects.get_or_create(name="Carrier")
    DID.objects.bulk_create([
        DID(number=f"+1800{i:07d}", provider=provider, setup_fee=money(Decimal("0.50")), monthly_fee=money(1),
            buy_cost=money(Decimal("0.20")))
        for i in range(n.pool)])
    password = make_password(PASSWORD)
    accounts, admins = [], []
    for i in range(n.admins):
        User.objects.create(username=f"admin{i}", password=password, is_staff=True, is_superuser=True)
        admins.append(f"admin{i}")
    pool = list(DID.objects.order_by("number").values_list("pk", flat=True))
    for r in range(n.resellers):
        reseller = Account.objects.create(name=f"Reseller {r}", kind=Account.Kind.RESELLER)
        User.objects.create(username=f"reseller{r}", password=password, account=reseller)
        add_funds(account_id=reseller.pk, amount=Decimal("5000"))
        accounts.append(f"reseller{r}")
        for did in pool[r * n.held_each:(r + 1) * n.held_each]:
            purchase_did(buyer_id=reseller.pk, did_id=did, purchase_key=f"load-{did}")
        for c in range(n.customers_each):
            customer = Account.objects.create(name=f"Customer {r}.{c}", kind=Account.Kind.CUSTOMER, parent=reseller)
            User.objects.create(username=f"customer{r}_{c}", password=password, account=customer)
            add_funds(account_id=customer.pk, amount=Decimal("500"))
            accounts.append(f"customer{r}_{c}")
    return accounts, admins


def _serve(port: int, folder: Path) -> subprocess.Popen:
    """gunicorn with the production settings, after collectstatic (as the README deploys it)."""
    log = folder / "gunicorn.log"
    env = dict(os.environ, DEBUG="0", SECRET_KEY="bench-only-not-a-secret", ALLOWED_HOSTS="127.0.0.1",
               DJANGO_SETTINGS_MODULE="billing_portal.settings",
               STATIC_ROOT=str(folder / "static"))
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    # Production cookies are Secure: served over plain HTTP no browser (nor Locust) would send them
    # back, so gunicorn serves TLS itself here, with a certificate made for this run.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True)
    with log.open("w") as errors:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "billing_portal.wsgi", "-b", f"127.0.0.1:{port}",
             "--certfile", str(folder / "cert.pem"), "--keyfile", str(folder / "key.pem"), *GUNICORN],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}); see {log}")
        try:
            probe = http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=ssl._create_unverified_context())
            probe.request("GET", "/accounts/login/")
            if probe.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    _stop(server)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log}")


def _locust(port: int, folder: Path, accounts, admins, n) -> list[dict]:
    env = dict(os.environ, LOAD_PASSWORD=PASSWORD, LOAD_USERS=",".join(accounts), LOAD_ADMINS=",".join(admins),
               LOAD_ADMIN_COUNT=str(n.admin_users))
    prefix = folder / "load"
    subprocess.run(
        [str(Path(sys.executable).with_name("locust")), "-f", str(ROOT / "bench" / "_locustfile.py"), "--headless",
         "--users", str(n.users), "--spawn-rate", "5", "--run-time", f"{n.seconds}s",
         "--host", f"https://127.0.0.1:{port}",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=(folder / "locust.log").open("w"))
    with open(f"{prefix}_stats.csv") as file:
        stats = list(csv.DictReader(file))
    with open(f"{prefix}_failures.csv") as file:
        failures = list(csv.DictReader(file))
    return stats, failures


def _clean(command: str) -> str:
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            call_command(command, stdout=out)
        return "clean"
    except SystemExit as exit:
        return "clean" if not exit.code else f"FOUND PROBLEMS: {out.getvalue()[:200]}"


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    accounts, admins = _world(n)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        port = _free_port()
        server = _serve(port, folder)
        try:
            stats, failures = _locust(port, folder, accounts, admins, n)
        finally:
            _stop(server)
        server_errors = sum(int(f["Occurrences"]) for f in failures if re.search(r"\b5\d\d\b", f["Error"]))
        log_errors = (folder / "gunicorn.log").read_text().count("Traceback")
    rows = []
    for row in stats:
        rows.append({"request": row["Name"], "requests": row["Request Count"], "failures": row["Failure Count"],
                     "req/s": f"{float(row['Requests/s']):.1f}", "p50 ms": row["50%"], "p95 ms": row["95%"],
                     "max ms": f"{float(row['Max Response Time']):.0f}"})
    ledger = "clean" if not balance_mismatches() else "BALANCES DIFFER FROM THE LEDGER"
    rows.append({"request": f"after the run: 5xx {server_errors}, tracebacks in the server log {log_errors}, "
                            f"check_ledger {ledger}, billing_audit {_clean('billing_audit')}"})
    return rows
