"""Export CSV of the audit trail (issue 17): the page's filters (all entries, one DID's, one
account's), newest first, every entry; DIDs in E.164; typed text spreadsheet-safe; admin only;
a fixed number of queries whatever the number of entries; the pages keep their button."""

import pytest
from django.urls import reverse

from audit import context
from tests.audit.helpers import IP
from tests.audit.test_pages import trail, write  # noqa: F401  (trail is a fixture)
from tests.csv_export_helpers import csv_queries, read_csv, shows_export_button
from tests.factories import AccountFactory, DIDFactory

pytestmark = pytest.mark.django_db

HEADER = ["When", "Who", "Via admin", "From", "IP", "Action", "What", "DID", "Account number", "Before → after"]


def test_the_csv_is_every_entry_newest_first(admin_client, trail):
    rows = read_csv(admin_client.get(reverse("audit:list") + "?format=csv"))
    assert rows[0] == HEADER
    assert [r[6] for r in rows[1:]] == ["A bought by Beta", "Beta refill", "B by command", "Alpha renamed", "A price"]
    price = rows[5]
    assert price[1:8] == ["admin", "", "UI", IP, "DID changed", "A price", trail["did_a"].number]
    assert price[7].startswith("+") and price[9] == "monthly fee: 20.0000 → 21.0000"
    assert rows[2][1] == "System" and rows[2][8] == trail["acct_b"].number


def test_the_csv_takes_the_pages_filters(admin_client, trail):
    did_a, acct_b = trail["did_a"], trail["acct_b"]
    by_did = read_csv(admin_client.get(reverse("audit:did", args=[did_a.pk]) + "?format=csv"))
    assert [r[6] for r in by_did[1:]] == ["A bought by Beta", "A price"]
    by_account = read_csv(admin_client.get(reverse("audit:account", args=[acct_b.pk]) + "?format=csv"))
    assert [r[6] for r in by_account[1:]] == ["A bought by Beta", "Beta refill"]
    searched = read_csv(admin_client.get(reverse("audit:list") + f"?format=csv&did={did_a.digits}&action=did.updated"))
    assert [r[6] for r in searched[1:]] == ["A price"]
    by_number = read_csv(admin_client.get(
        reverse("audit:list") + f"?format=csv&account={acct_b.number}&action=balance.funds_added"))
    assert [r[6] for r in by_number[1:]] == ["Beta refill"]
    # One DID's page searched by action (its search panel has no DID field).
    did_searched = read_csv(admin_client.get(reverse("audit:did", args=[did_a.pk]) + "?format=csv&action=did.updated"))
    assert [r[6] for r in did_searched[1:]] == ["A price"]
    assert admin_client.get(reverse("audit:did", args=[did_a.pk]) + "?action=did.updated").status_code == 200


def test_typed_text_is_spreadsheet_safe(admin_client, db):
    write("account.updated", account=AccountFactory(name="x"), summary="=HYPERLINK(\"http://evil\")")
    rows = read_csv(admin_client.get(reverse("audit:list") + "?format=csv"))
    assert rows[1][6] == "'=HYPERLINK(\"http://evil\")"


def test_admin_only(client, reseller_user, customer_user, trail):
    for user in (reseller_user, customer_user):
        client.force_login(user)
        assert client.get(reverse("audit:list") + "?format=csv").status_code == 403


def test_the_pages_keep_their_export_button(admin_client, trail):
    for path in (reverse("audit:list"), reverse("audit:did", args=[trail["did_a"].pk]),
                 reverse("audit:account", args=[trail["acct_a"].pk])):
        assert shows_export_button(admin_client.get(path).content.decode()), path


def test_a_fixed_number_of_queries(admin_client, admin_user, db):
    did, account = DIDFactory(), AccountFactory()
    write(did=did, account=account)
    url = reverse("audit:list") + f"?format=csv&account={account.number}"
    few, rows = csv_queries(admin_client, url)
    with context.using(source=context.UI, ip=IP, actor=admin_user):
        for n in range(40):
            write(did=did, account=account, summary=f"change {n}", changes={"n": (n, n + 1)})
    many, more = csv_queries(admin_client, url)
    assert (len(rows), len(more)) == (2, 42) and few == many
