"""Export CSV of the calls pages (issue 17): one's own calls, a reseller's view of its account's,
the admin's view of one account's and every call. The page's filter and order (newest first),
every call, DIDs in E.164, plain money; another tenant's calls never; a fixed number of queries
whatever the number of calls; the pages keep their button."""

import pytest
from django.urls import reverse

from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from calls.models import CallCharge
from tests.calls.test_call_pages import T0, charged, start, upload, world  # noqa: F401  (fixtures)
from tests.csv_export_helpers import csv_queries, read_csv, shows_export_button
from tests.factories import DIDFactory

pytestmark = pytest.mark.django_db


def _charge(client, world, rows):
    client.force_login(world["admin"])
    token = upload(client, rows).context["token"]
    client.post(reverse("calls:import_confirm", args=[token]))


@pytest.fixture
def foreign(client, charged):
    """A call to the other reseller's own DID."""
    did = DIDFactory(number="+14155550199")
    purchase_did(buyer_id=charged["other"].account_id, did_id=did.pk, purchase_key="k-foreign", now=T0)
    _charge(client, charged, [["foreign-1", start(5), did.digits, "60"]])
    assert CallCharge.objects.filter(call__call_id="foreign-1").exists()
    return did


def amount(call_id, level) -> str:
    return f"{CallCharge.objects.get(call__call_id=call_id, level=level).amount:.4f}"


def test_ones_own_calls_csv(client, charged, foreign):
    did = charged["did"]
    client.force_login(charged["customer"])
    rows = read_csv(client.get(reverse("calls:mine") + "?format=csv"))
    assert rows[0] == ["Start", "Call ID", "DID", "Answered (sec.)", "You pay (USD)"]
    assert [r[1] for r in rows[1:]] == ["c3", "c2", "c1"]  # newest first, as the page
    assert rows[1][2:] == [did.number, "30", amount("c3", 2)] and did.number.startswith("+")
    client.force_login(charged["reseller"])
    rows = read_csv(client.get(reverse("calls:mine") + "?format=csv&sort=start"))
    assert rows[0][-1] == "Charged below (USD)"
    assert [r[1] for r in rows[1:]] == ["c1", "c2", "c3"]
    assert rows[1][4:] == [amount("c1", 1), amount("c1", 2)]
    assert "foreign-1" not in str(rows) and foreign.number not in str(rows)
    filtered = read_csv(client.get(reverse("calls:mine") + f"?format=csv&did={foreign.digits}"))
    assert filtered[1:] == []


def test_a_resellers_view_of_its_customers_calls(client, charged, foreign):
    customer = charged["customer"].account
    client.force_login(charged["reseller"])
    rows = read_csv(client.get(reverse("customers:calls", args=[customer.number]) + "?format=csv"))
    assert rows[0][-1] == "Paid (USD)" and [r[1] for r in rows[1:]] == ["c3", "c2", "c1"]
    client.force_login(charged["other"])
    assert client.get(reverse("customers:calls", args=[customer.number]) + "?format=csv").status_code == 404


def test_the_admins_csvs(client, charged, foreign):
    client.force_login(charged["admin"])
    one = read_csv(client.get(reverse("calls:account_calls", args=[charged["other"].account_id]) + "?format=csv"))
    assert [r[1:3] for r in one[1:]] == [["foreign-1", foreign.number]]
    rows = read_csv(client.get(reverse("calls:list") + "?format=csv"))
    assert rows[0] == ["Start", "Call ID", "DID", "Answered (sec.)", "Level", "Account number", "Account name",
                       "Amount (USD)", "Import"]
    # One row per level charged, newest call first, levels in order.
    assert [(r[1], r[4]) for r in rows[1:]] == [("foreign-1", "1"), ("c3", "1"), ("c3", "2"), ("c2", "1"),
                                                 ("c2", "2"), ("c1", "1"), ("c1", "2")]
    c3 = rows[3]
    assert c3[2] == charged["did"].number and c3[5] == charged["customer"].account.number and c3[7] == amount("c3", 2)
    filtered = read_csv(client.get(reverse("calls:list") + f"?format=csv&did={foreign.number}"))
    assert [r[1] for r in filtered[1:]] == ["foreign-1"]


def test_the_csvs_are_refused_as_the_pages(client, charged):
    client.force_login(charged["other"])
    assert client.get(reverse("calls:list") + "?format=csv").status_code == 403
    assert client.get(reverse("calls:account_calls", args=[charged["customer"].account_id]) + "?format=csv"
                      ).status_code == 403


def test_the_pages_keep_their_export_button(client, charged):
    client.force_login(charged["admin"])
    for path in (reverse("calls:list"), reverse("calls:account_calls", args=[charged["customer"].account_id])):
        assert shows_export_button(client.get(path).content.decode()), path
    client.force_login(charged["customer"])
    assert shows_export_button(client.get(reverse("calls:mine")).content.decode())


@pytest.mark.parametrize("who", ["admin", "reseller"])
def test_a_fixed_number_of_queries(client, world, who):
    add_funds(account_id=world["reseller"].account_id, amount=1000)
    add_funds(account_id=world["customer"].account_id, amount=1000)
    url = reverse("calls:list") + "?format=csv" if who == "admin" else reverse("calls:mine") + "?format=csv"
    _charge(client, world, [["one", start(1), world["did"].digits, "30"]])
    client.force_login(world[who])
    few, rows = csv_queries(client, url)
    _charge(client, world, [[f"m{n}", start(2), world["did"].digits, "30"] for n in range(30)])
    client.force_login(world[who])
    many, more = csv_queries(client, url)
    assert len(more) > len(rows) + 29 and few == many
