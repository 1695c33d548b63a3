"""Suite-wide fixtures and the rules for PostgreSQL-only and browser tests.

Locally, tests marked ``postgres`` are skipped on SQLite and tests marked
``browser`` are skipped without Chromium, and the run ends with a plain list of
what was not run. In CI (``CI`` set) nothing may be skipped: a missing
PostgreSQL or Chromium fails those tests instead. Tests marked ``kamailio``
follow the same rule for the kamailio binary.
"""

import os
import shutil

import pytest
from django.db import connection

from billing.ledger.posting import ledger_sum

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside live_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or ""
KAMAILIO = shutil.which("kamailio", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"])) or ""
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
_not_run: dict[str, list[str]] = {"postgres": [], "browser": [], "kamailio": []}


def _missing(kind: str) -> str | None:
    if kind == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL=postgres://...)"
    if kind == "browser" and not CHROMIUM:
        return "needs Chromium (apt-get install -y chromium)"
    if kind == "kamailio" and not KAMAILIO:
        return "needs Kamailio (apt-get install -y kamailio kamailio-extra-modules kamailio-utils-modules)"
    return None


@pytest.fixture(autouse=True)
def _require_real_parts(request):
    for kind in ("postgres", "browser", "kamailio"):
        if request.node.get_closest_marker(kind):
            reason = _missing(kind)
            if reason and IN_CI:
                pytest.fail(f"CI must run every {kind} test: {reason}")
            if reason:
                _not_run[kind].append(request.node.nodeid)
                pytest.skip(reason)


def pytest_terminal_summary(terminalreporter):
    for kind, what in (("postgres", "PostgreSQL-only"), ("browser", "browser"), ("kamailio", "Kamailio")):
        if _not_run[kind]:
            terminalreporter.write_line("")
            terminalreporter.write_line(
                f"NOT RUN: {len(_not_run[kind])} {what} tests ({_missing(kind) or 'unavailable'}):", yellow=True
            )
            for nodeid in _not_run[kind]:
                terminalreporter.write_line(f"  {nodeid}")


@pytest.fixture(autouse=True)
def _ledger_invariant(request):
    """After every test that touched the database: balance == sum(entries) for all accounts."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker or {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if not uses_db:
        yield
        return
    transactional = (marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames \
        or "live_server" in request.fixturenames
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from accounts.models import Account

    for account in Account.objects.all():
        assert account.balance.amount == ledger_sum(account.pk), f"{account} balance differs from its ledger"


# --- people -----------------------------------------------------------------

@pytest.fixture
def default_provider(db):
    from dids.models import Provider

    return Provider.objects.get_or_create(name="default provider", defaults={"number": "3673942894"})[0]


@pytest.fixture
def admin_user(db):
    from tests.factories import make_admin

    return make_admin()


@pytest.fixture
def reseller_user(db):
    from tests.factories import make_account_user

    return make_account_user(name="Reseller A")


@pytest.fixture
def customer_user(db, reseller_user):
    from accounts.models import Account
    from tests.factories import make_account_user

    return make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller_user.account, name="Customer A")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def reseller_client(client, reseller_user):
    client.force_login(reseller_user)
    return client


@pytest.fixture
def customer_client(client, customer_user):
    client.force_login(customer_user)
    return client


# --- browser ----------------------------------------------------------------

class _LazyChromium:
    """Launched on first use, so a run without browser tests never starts Chromium
    and the marker check above decides about skipping before anything launches."""

    def __init__(self):
        self._playwright = self._browser = None

    def get(self):
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self):
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()


@pytest.fixture(scope="session")
def _chromium():
    lazy = _LazyChromium()
    yield lazy
    lazy.close()


@pytest.fixture
def page(_chromium, live_server):
    context = _chromium.get().new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def browser_login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing is the slow part of user creation; tests do not need its strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
