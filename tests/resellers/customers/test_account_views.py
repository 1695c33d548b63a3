"""What a reseller sees of one of its accounts: its statement (with CSV), the DIDs it holds
(read-only) and its calls, each only that account's."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from calls.importing.pipeline import rate_cdr_file
from core.money import money
from tests.factories import DIDFactory
from tests.resellers.customers.conftest import url

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def held(reseller_user, customer_user, other_reseller, other_customer, tmp_path):
    """A DID Reseller A sold to Customer A, with two charged calls; the same for Reseller B."""
    dids = {}
    for seller, buyer in ((reseller_user, customer_user), (other_reseller, other_customer)):
        did = DIDFactory(setup_fee=money(Decimal("1")), monthly_fee=money(Decimal("4")),
                         cost_per_min=money(Decimal("0.60")))
        for user in (seller, buyer):
            add_funds(account_id=user.account_id, amount=Decimal("100"))
            purchase_did(buyer_id=user.account_id, did_id=did.pk, purchase_key=f"k-{did.pk}-{user.pk}", now=T0)
        dids[buyer.account_id] = did
    start = (T0 + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    cdrs = tmp_path / "calls.csv"
    cdrs.write_text("Call ID,Start,DID,Answered Seconds\n" + "".join(
        f"call-{account_id}-{n},{start},{did.digits},{60 * n}\n" for account_id, did in dids.items() for n in (1, 2)))
    assert rate_cdr_file(cdrs, write=True).charged == 4
    return dids


def test_the_statement_is_the_accounts_own_with_csv(reseller_client, customer_user, other_customer, held):
    account = customer_user.account
    page = reseller_client.get(url("statement", account))
    html = page.content.decode()
    assert {entry.account_id for entry in page.context["page"].rows} == {account.pk}
    for text in ("Funds added", "Setup fee", "DID price", "Call charges", held[account.pk].shown):
        assert text in html, text
    assert held[other_customer.account_id].shown not in html
    assert f'href="{url("calls", account)}"' in html and f'href="{url("detail", account)}"' in html
    response = reseller_client.get(url("statement", account, format="csv"))
    assert f"statement-{account.number}-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["Date", "Kind"] and len(rows) == 1 + account.ledger_entries.count()


def test_the_dids_page_shows_what_it_holds_read_only(reseller_client, customer_user, other_customer, held):
    account = customer_user.account
    response = reseller_client.get(url("dids", account))
    html = response.content.decode()
    assert [sub.did for sub in response.context["page"].rows] == [held[account.pk]]
    assert held[account.pk].shown in html and "4.0000" in html and "1 - 1 of 1 Records" in html
    assert held[other_customer.account_id].shown not in html
    # Read-only: nothing here releases a DID or changes its prices or destination.
    assert 'method="post"' not in html.split("<main", 1)[1]
    assert reverse("resellers:release") not in html and 'type="checkbox"' not in html
    assert reverse("billing:my_edit_info", args=[held[account.pk].pk]) not in html
    found = reseller_client.get(url("dids", account, number=held[account.pk].digits[-4:]))
    assert len(found.context["page"].rows) == 1
    assert list(reseller_client.get(url("dids", account, number="99999")).context["page"].rows) == []


def test_the_calls_page_shows_its_calls_and_what_it_paid(reseller_client, customer_user, other_customer, held):
    account = customer_user.account
    response = reseller_client.get(url("calls", account))
    rows = list(response.context["page"].rows)
    assert sorted(row.call.call_id for row in rows) == [f"call-{account.pk}-1", f"call-{account.pk}-2"]
    assert {row.account_id for row in rows} == {account.pk}
    html = response.content.decode()
    assert f"call-{other_customer.account_id}-1" not in html and "Paid" in html
