"""The statement page of an account with 100,000 ledger entries: queries per
request and response time, through the whole Django stack (django.test.Client,
session, middleware, template), logged in with force_login."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Account, User
from bench import data
from bench.common import percentile, sized, timed_ms
from billing.models import LedgerEntry
from dids.models import DID

TITLE = "Statement page with 100,000 ledger entries"
# entries: the account's ledger; requests: timed requests per page. Tiny still has pages to page through.
SIZES = {
    "full": {"entries": 100_000, "requests": 20},
    "tiny": {"entries": 300, "requests": 2},
}
NOTES = (
    f"One account with {SIZES['full']['entries']:,} entries (refills, renewals of a DID, call charges). "
    f"{SIZES['full']['requests']} requests per page after 2 warm-up requests; *queries* counts every query of one "
    "request, session and login included."
)
K = LedgerEntry.Kind


def _entries(did: DID, entries: int):
    """A plausible mix: a refill every 10th entry, a DID renewal every 10th (+5), call charges between."""
    now = timezone.now()
    for seq in range(1, entries + 1):
        if seq % 10 == 1:
            yield K.FUNDS_ADDED, Decimal("50.0000"), None, None, None, "Funds added"
        elif seq % 10 == 6:
            yield K.RENEWAL, Decimal("-2.5000"), did, now, now + timedelta(days=30), f"DID {did.digits} renewal"
        else:
            yield K.CALL_CHARGES, -Decimal("0.0123") * (1 + seq % 7), None, None, None, "Call charges"


def _load(entries: int) -> tuple[User, User, Account, float]:
    """The account (with its login), an admin, and the seconds the load took."""
    def load():
        with transaction.atomic():  # the balance trigger checks the whole chain at commit
            account = Account.objects.create(number="7000000001", name="Statement bench", kind=Account.Kind.RESELLER)
            did = DID.objects.get(pk=data.dids(1, Decimal("0"), Decimal("2.5"))[0])
            data.ledger_chain(account, _entries(did, entries))
        return account

    ms, account = timed_ms(load)
    user = User.objects.create(username="statement-bench", account=account)
    admin = User.objects.create(username="admin-bench", is_staff=True, is_superuser=True)
    return user, admin, account, ms / 1000


def _url(name: str, args=(), fallback: str | None = None) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the page may not exist yet on this branch
        return fallback


def _measure(client: Client, url: str, requests: int) -> dict:
    for _ in range(2):
        client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # read now: the next request's start clears the query log
    if response.status_code != 200:
        return {"queries": "-", "p50 ms": "-", "p95 ms": "-", "status": response.status_code}
    times = [timed_ms(client.get, url)[0] for _ in range(requests)]
    return {
        "queries": count,
        "p50 ms": f"{percentile(times, 50):.1f}",
        "p95 ms": f"{percentile(times, 95):.1f}",
        "status": 200,
    }


def run(size: str | None = None) -> list[dict]:
    n = sized(SIZES, size)
    user, admin, account, load_s = _load(n.entries)
    print(f"  statement: {n.entries:,} entries loaded in {load_s:.1f} s")
    own, staff = Client(), Client()
    own.force_login(user)
    staff.force_login(admin)
    own_url = _url("billing:statement", fallback="/portal/statement/")
    admin_url = _url("billing:account_statement", args=[account.pk])
    pages = [
        ("own statement, page 1", own, own_url),
        ("own statement, last page (oldest; Last reads backwards)", own, f"{own_url}?last=1"),
        ("admin's statement of the account, page 1", staff, admin_url),
    ]
    return [{"page": label, "url": f"`{url}`", **_measure(client, url, n.requests)} for label, client, url in pages
            if url]
