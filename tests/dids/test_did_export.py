"""Export CSV of the admin's DID list: the filtered rows, in the list's order,
with the Create Product form's labels as the header."""

import csv
import io

from django.test import Client
from django.urls import reverse

from dids.export import HEADER
from dids.models import DID
from tests.factories import DIDFactory, make_account_user


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="dids-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_has_the_form_labels_and_exact_values(admin_client, db):
    DIDFactory(number="+18555801802", country="HK", city="Ahmedabad, Gujarat", province="Gujarat", buy_cost="5",
               setup_fee="5", monthly_fee="20", billing_type=DID.BillingType.ONE_TIME, billing_days=28)
    rows = _csv(admin_client.get(reverse("dids:list"), {"format": "csv"}))
    assert rows[0] == HEADER
    assert rows[0][:2] == ["Product Category", "DID"] and "MonthlyFee (USD)" in rows[0]
    row = dict(zip(rows[0], rows[1]))
    assert row["DID"] == "+18555801802" and row["Country"] == "HK"
    assert row["City"] == "Ahmedabad, Gujarat"  # a comma inside a field survives the quoting
    assert (row["Buy Cost (USD)"], row["Setup Fee (USD)"], row["MonthlyFee (USD)"]) == ("5.0000", "5.0000", "20.0000")
    assert (row["Billing Type"], row["Billing Days"], row["Status"]) == ("One Time", "28", "Active")
    assert row["Provider"] == "default provider"


def test_export_follows_the_search_and_the_sort(admin_client, db):
    DIDFactory(number="+12025550111", country="US", monthly_fee="3")
    DIDFactory(number="+12025550122", country="US", monthly_fee="1")
    DIDFactory(number="+442071234567", country="GB")
    rows = _csv(admin_client.get(reverse("dids:list"), {"format": "csv", "country": "US", "sort": "monthly_fee"}))
    assert [r[1] for r in rows[1:]] == ["+12025550122", "+12025550111"]
    rows = _csv(admin_client.get(reverse("dids:list"), {"format": "csv", "sort": "'; DROP TABLE dids_did; --"}))
    assert len(rows) == 4  # an unknown sort key falls back to the default


def test_the_list_links_to_the_export_of_what_it_shows(admin_client, db):
    html = admin_client.get(reverse("dids:list"), {"country": "US", "page": "2"}).content.decode()
    assert 'href="?country=US&amp;format=csv" title="Every row of this filtered list' in html


def test_resellers_cannot_export_the_catalogue(db):
    client = Client()
    client.force_login(make_account_user())
    assert client.get(reverse("dids:list"), {"format": "csv"}).status_code == 403
