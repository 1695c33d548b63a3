"""Export CSV of the margins pages (issue 17): the page's per-month figures (normalised to a
30.44-day month), its columns, every row in its order; a reseller's own file has only its rows;
a fixed number of queries whatever the number of rows; the pages keep their button."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from tests.billing.test_margins import _reseller_with, buy, chain, funded  # noqa: F401  (chain is a fixture)
from tests.csv_export_helpers import csv_queries, read_csv, shows_export_button
from tests.factories import DIDFactory

pytestmark = pytest.mark.django_db


def test_an_accounts_margins_csv_has_the_pages_monthly_figures(admin_client, chain):
    r1 = chain["r1"].account
    rows = read_csv(admin_client.get(reverse("billing:account_margins", args=[r1.pk]) + "?format=csv"))
    assert rows[0] == ["DID", "Country", "Billing Days", "Pays / month (USD)", "Sold to", "Sold to account number",
                       "Earns / month (USD)", "Margin / month (USD)", "Setup paid (USD)", "Setup earned (USD)"]
    # The figures of tests/billing/test_margins.py's test_r1_rows_and_totals, E.164 and plain money.
    assert rows[1] == ["+12025551001", "US", "28", "22.2864", "S Sub", chain["s"].account.number,
                       "29.0811", "6.7947", "5.0000", "5.0000"]
    assert rows[2][:8] == ["+12025551002", "US", "30", "10.1467", "", "", "", ""]
    by_margin = read_csv(admin_client.get(reverse("billing:account_margins", args=[r1.pk]) + "?format=csv&sort=-pays"))
    assert [r[0] for r in by_margin[1:]] == ["+12025551001", "+12025551002"]


def test_a_customers_margins_csv_has_no_sell_side(admin_client, chain):
    rows = read_csv(admin_client.get(reverse("billing:account_margins", args=[chain["c"].account_id]) + "?format=csv"))
    assert rows[0] == ["DID", "Country", "Billing Days", "Pays / month (USD)", "Setup paid (USD)"]
    assert rows[1][0] == "+12025551001" and rows[1][3] == "33.8356"  # 31.1234 * 30.44 / 28


def test_a_resellers_own_margins_csv_is_its_own(client, chain):
    b = funded("B Reseller")
    buy(b, DIDFactory(number="+12025551009", monthly_fee="7.0000"))
    client.force_login(b)
    response = client.get(reverse("billing:my_margins"), {"format": "csv", "account": chain["r1"].account_id,
                                                          "pk": chain["r1"].account_id})
    rows = read_csv(response)
    assert [r[0] for r in rows[1:]] == ["+12025551009"] and rows[1][3] == "7.6100"
    text = str(rows)
    for other in ("12025551001", "12025551002", "R1 Telecom", "S Sub"):
        assert other not in text, other


def test_the_summary_csv_has_every_account_with_the_pages_columns(admin_client, chain):
    rows = read_csv(admin_client.get(reverse("billing:margins") + "?format=csv&sort=-margin"))
    assert rows[0] == ["Account number", "Name", "Type", "Bought from", "Bought from account number", "DIDs held",
                       "Pays / month (USD)", "DIDs sold on", "Earns / month (USD)", "Margin / month (USD)",
                       "Setup paid (USD)", "Setup earned (USD)"]
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"R1 Telecom", "S Sub", "C Customer"}
    assert by_name["R1 Telecom"][2:10] == ["Reseller", "Operator", "", "2", "32.4331", "1", "29.0811", "-3.3520"]
    assert by_name["S Sub"][3:5] == ["R1 Telecom", chain["r1"].account.number]
    customer = by_name["C Customer"]
    assert customer[2] == "Customer" and customer[6] == "33.8356" and customer[7:10] == ["", "", ""]
    assert customer[11] == ""  # a customer earns no setup fees: blank, as the page's "—"
    # The page's order: customers at the low end of a descending margin sort.
    assert [r[1] for r in rows[1:]][-1] == "C Customer"


def test_the_pages_keep_their_export_button(admin_client, client, chain):
    for path in (reverse("billing:margins"), reverse("billing:account_margins", args=[chain["r1"].account_id])):
        assert shows_export_button(admin_client.get(path).content.decode()), path
    client.force_login(chain["r1"])
    assert shows_export_button(client.get(reverse("billing:my_margins")).content.decode())


def test_the_csvs_take_a_fixed_number_of_queries(client, admin_user, db):
    small, _ = _reseller_with(1, "Small")
    big, _ = _reseller_with(30, "Big")
    client.force_login(admin_user)
    few, rows = csv_queries(client, reverse("billing:account_margins", args=[small.account_id]) + "?format=csv")
    many, big_rows = csv_queries(client, reverse("billing:account_margins", args=[big.account_id]) + "?format=csv")
    assert (len(rows), len(big_rows)) == (2, 31) and few == many
    client.force_login(small)
    own_few, _ = csv_queries(client, reverse("billing:my_margins") + "?format=csv")
    client.force_login(big)
    own_many, _ = csv_queries(client, reverse("billing:my_margins") + "?format=csv")
    assert own_few == own_many
    client.force_login(admin_user)
    summary_few, rows = csv_queries(client, reverse("billing:margins") + "?format=csv")
    for i in range(30):
        funded(f"More {i}", kind=Account.Kind.RESELLER)
        _reseller_with(1, f"More holder {i}")
    summary_many, more_rows = csv_queries(client, reverse("billing:margins") + "?format=csv")
    assert len(more_rows) == len(rows) + 60 and summary_few == summary_many  # every row, not a page of 25
    assert Decimal(more_rows[1][6]) >= 0
