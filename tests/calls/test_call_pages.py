"""The calls pages and the browser CDR import: who sees what, the preview, Confirm by
POST only, the query budget of the lists."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.models import LedgerEntry
from billing.subscriptions.purchase import purchase_did
from core.money import money
from calls.models import Call, CallCharge, CallImport
from tests.factories import DIDFactory, make_account_user, make_admin

D = Decimal
T0 = timezone.make_aware(timezone.datetime(2026, 11, 1, 9, 0))


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    did = DIDFactory(connection_cost=money(D("0.05")), grace_time=10, cost_per_min=money(D("0.60")),
                     initial_increment=30, increment=6)
    reseller = make_account_user(Account.Kind.RESELLER)
    customer = make_account_user(Account.Kind.CUSTOMER, parent=reseller.account)
    other = make_account_user(Account.Kind.RESELLER)
    for user in (reseller, customer, other):
        add_funds(account_id=user.account_id, amount=D("100"))
    for user in (reseller, customer):
        purchase_did(buyer_id=user.account_id, did_id=did.pk, purchase_key=f"k{user.pk}", now=T0)
    return dict(did=did, admin=make_admin(), reseller=reseller, customer=customer, other=other)


def cdr_file(rows, name="cdr.csv"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Call ID", "Start", "DID", "Answered Seconds"])
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def start(hours):
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


def upload(client, rows):
    return client.post(reverse("calls:import"), {"file": cdr_file(rows)})


def test_the_admin_previews_then_charges_by_post(client, world):
    client.force_login(world["admin"])
    digits = world["did"].digits
    preview = upload(client, [["p1", start(1), digits, "47"], ["p2", start(1), "19999999999", "5"]])
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Charge 1 call" in text and "0.4700" in text and "is not one of our DIDs" in text
    assert not Call.objects.exists()
    token = preview.context["token"]

    assert client.get(reverse("calls:import_confirm", args=[token])).status_code == 405  # no charge by GET
    done = client.post(reverse("calls:import_confirm", args=[token]), follow=True)

    record = CallImport.objects.get()
    assert (record.charged, record.invalid, record.source, record.created_by) == (1, 1, "browser", world["admin"])
    assert "1 call charged" in done.content.decode()
    rejected = client.get(reverse("calls:import_errors", args=[record.pk]))
    assert b"19999999999" in b"".join(rejected.streaming_content)
    # The same preview cannot be confirmed twice.
    assert client.post(reverse("calls:import_confirm", args=[token])).status_code == 404


def test_a_bad_file_is_refused_next_to_the_field(client, world):
    client.force_login(world["admin"])
    bad = SimpleUploadedFile("x.csv", b"Call ID,DID\n1,2\n", content_type="text/csv")
    response = client.post(reverse("calls:import"), {"file": bad})
    assert response.status_code == 200
    assert "missing: Start, Answered Seconds" in response.content.decode()
    assert response.context["form"].errors["file"]
    assert not CallImport.objects.exists()


def test_only_the_admin_imports(client, world):
    assert client.get(reverse("calls:import")).status_code == 302  # login
    client.force_login(world["reseller"])
    assert client.get(reverse("calls:import")).status_code == 403
    assert client.get(reverse("calls:list")).status_code == 403
    assert client.get(reverse("calls:imports")).status_code == 403


@pytest.fixture
def charged(world, client):
    client.force_login(world["admin"])
    token = upload(client, [[f"c{n}", start(n), world["did"].digits, str(10 * n)] for n in range(1, 4)]).context["token"]
    client.post(reverse("calls:import_confirm", args=[token]))
    client.logout()
    return world


def test_each_account_sees_its_own_calls_and_what_it_paid(client, charged):
    client.force_login(charged["customer"])
    page = client.get(reverse("calls:mine"))
    rows = list(page.context["page"].rows)
    assert [r.call.call_id for r in rows] == ["c3", "c2", "c1"]
    assert all(r.account_id == charged["customer"].account_id for r in rows)
    client.force_login(charged["reseller"])
    rows = list(client.get(reverse("calls:mine")).context["page"].rows)
    # The reseller pays the DID's rates and sees what its customer paid it for the same call.
    assert [(r.amount, r.earned) for r in rows] == [
        (CallCharge.objects.get(call__call_id=r.call.call_id, level=1).amount,
         CallCharge.objects.get(call__call_id=r.call.call_id, level=2).amount) for r in rows]
    client.force_login(charged["other"])
    assert list(client.get(reverse("calls:mine")).context["page"].rows) == []


def test_another_tenants_calls_answer_404_or_403(client, charged):
    client.force_login(charged["other"])
    assert client.get(reverse("calls:account_calls", args=[charged["customer"].account_id])).status_code == 403
    client.force_login(charged["admin"])
    assert client.get(reverse("calls:account_calls", args=[999999])).status_code == 404
    page = client.get(reverse("calls:account_calls", args=[charged["customer"].account_id]))
    assert len(page.context["page"].rows) == 3


def test_call_charges_are_on_the_statement(client, charged):
    client.force_login(charged["customer"])
    text = client.get(reverse("billing:statement")).content.decode()
    assert "Call charges" in text and "3 calls to" in text
    assert LedgerEntry.objects.filter(account_id=charged["customer"].account_id, kind="call_charges").count() == 1


def test_the_did_filter(client, charged):
    client.force_login(charged["admin"])
    assert len(client.get(reverse("calls:list"), {"did": "+" + charged["did"].digits}).context["page"].rows) == 3
    assert len(client.get(reverse("calls:list"), {"did": "14155550123"}).context["page"].rows) == 0
    bad = client.get(reverse("calls:list"), {"did": "abc"})
    assert bad.context["search"].errors["did"] and len(bad.context["page"].rows) == 3


@pytest.mark.parametrize("who", ["admin", "customer", "reseller"])
def test_the_calls_lists_keep_a_fixed_query_budget(client, charged, who, django_assert_max_num_queries):
    client.force_login(charged[who])
    url = reverse("calls:list") if who == "admin" else reverse("calls:mine")
    client.get(url)  # warm the session
    with django_assert_max_num_queries(5):  # session, user, the page, its charges (admin), the count
        assert client.get(url).status_code == 200
